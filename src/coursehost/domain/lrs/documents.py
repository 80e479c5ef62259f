"""State, activity profile and agent profile documents (xAPI 1.0.3 Communication §2.2, §2.3, §2.6,
§2.7, §3.1; IEEE 9274.1.1 4.1.4, 4.1.6.2, 4.1.6.5, 4.1.6.6): storage, merge and concurrency rules.

Every function works inside the caller's transaction and on one application's documents only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.lrs import XapiDocument
from coursehost.domain.errors import Conflict, InvalidInput
from coursehost.domain.lrs.errors import PreconditionFailed

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
JSON_TYPE = "application/json"
DEFAULT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class DocumentKey:
    """Where a document lives; fields that are not part of the kind's key are ""."""

    kind: str
    document_id: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""

    def scope(self) -> dict[str, str]:
        """The columns that select this key's set of documents (every id of it)."""
        return {"kind": self.kind, "activity_id": self.activity_id, "agent_key": self.agent_key,
                "registration": self.registration}


@dataclass(frozen=True)
class Preconditions:
    """The request's If-Match / If-None-Match headers (raw) and whether a PUT must carry one."""

    if_match: str | None = None
    if_none_match: str | None = None
    # What a PUT without either header gets: None (accepted), or the statuses for an existing / a
    # new document (409 / 400 in 1.0.3 profiles; 409 / None in 2.0).
    required_existing: int | None = None
    required_new: int | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class Document:
    """A stored document as the resources answer it."""

    content: bytes
    content_type: str
    etag: str  # quoted, ready for the ETag header
    updated: datetime


def etag_for(content: bytes) -> str:
    """SHA-1 hex of the content (xAPI 1.0.3 Communication §3.1: "SHA1 ... hexadecimal")."""
    return hashlib.sha1(content).hexdigest()


def is_json_type(content_type: str | None) -> bool:
    """True for application/json with or without parameters (charset=...)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_TYPE


def _tags(header: str) -> list[str]:
    """The entity tags of an If-Match / If-None-Match header, quotes and weak prefix removed."""
    tags = []
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        tags.append(part.strip('"'))
    return [t for t in tags if t]


def check_preconditions(existing: XapiDocument | None, pre: Preconditions, *, method: str) -> None:
    """412 when If-Match / If-None-Match fail; for a PUT without either, the configured 409 / 400."""
    # RFC 2616 §14.24 / §14.26 as xAPI 1.0.3 Communication §3.1 and 9274.1.1 4.1.4 apply them.
    if pre.if_match is not None:
        tags = _tags(pre.if_match)
        if existing is None or not ("*" in tags or existing.etag in tags):
            raise PreconditionFailed("If-Match does not match the document's current ETag")
    if pre.if_none_match is not None:
        tags = _tags(pre.if_none_match)
        if existing is not None and ("*" in tags or existing.etag in tags):
            raise PreconditionFailed("If-None-Match: the document already exists")
    if method != "PUT" or pre.given:
        return
    if existing is not None and pre.required_existing == 409:
        raise Conflict("The document already exists: send If-Match with its ETag (or If-None-Match: *) to "
                       "change it (xAPI concurrency, RFC 2616 If-Match)")
    if existing is None and pre.required_new == 400:
        raise InvalidInput("A PUT to this resource needs an If-Match or If-None-Match header "
                           "(xAPI 1.0.3 Communication §3.1)")


def _row(session: Session, app_pk: int, key: DocumentKey) -> XapiDocument | None:
    return session.execute(
        select(XapiDocument).where(XapiDocument.application_pk == app_pk, XapiDocument.document_id == key.document_id,
                                   *[getattr(XapiDocument, c) == v for c, v in key.scope().items()])
    ).scalar_one_or_none()


def _as_document(row: XapiDocument) -> Document:
    return Document(row.content, row.content_type or DEFAULT_TYPE, f'"{row.etag}"', row.updated)


def get_document(session: Session, *, app_pk: int, key: DocumentKey) -> Document | None:
    """The document at KEY, or None."""
    row = _row(session, app_pk, key)
    return None if row is None else _as_document(row)


def list_document_ids(session: Session, *, app_pk: int, scope: DocumentKey,
                      since: datetime | None = None) -> tuple[list[str], datetime | None]:
    """The ids of SCOPE's documents updated after SINCE, and the latest update among them."""
    # xAPI 1.0.3 Communication §2.3 table 2, §2.6, §2.7: "since" means updated strictly after.
    query = select(XapiDocument.document_id, XapiDocument.updated).where(
        XapiDocument.application_pk == app_pk, *[getattr(XapiDocument, c) == v for c, v in scope.scope().items()])
    if since is not None:
        query = query.where(XapiDocument.updated > since)
    rows = session.execute(query.order_by(XapiDocument.updated, XapiDocument.pk)).all()
    return [r.document_id for r in rows], max((r.updated for r in rows), default=None)


def _write(session: Session, app_pk: int, key: DocumentKey, row: XapiDocument | None, content: bytes,
           content_type: str, clock: Callable[[], datetime]) -> None:
    now = clock()
    if row is None:
        session.add(XapiDocument(application_pk=app_pk, **key.scope(), document_id=key.document_id,
                                 content=content, content_type=content_type, etag=etag_for(content), updated=now))
        # Another request may create it between our read and this flush: the IntegrityError goes up
        # and the LRS runs the request again, which then finds the document (lrs_http._run).
        session.flush()
        return
    if row.updated is not None and now <= row.updated:  # Last-Modified moves forward on every change
        now = row.updated + timedelta(microseconds=1)
    row.content, row.content_type, row.etag, row.updated = content, content_type, etag_for(content), now
    session.flush()


def put_document(session: Session, *, app_pk: int, key: DocumentKey, content: bytes, content_type: str | None,
                 pre: Preconditions, clock: Callable[[], datetime] = utcnow) -> None:
    """Store CONTENT at KEY, replacing any document there (xAPI 1.0.3 Communication §2.2)."""
    row = _row(session, app_pk, key)
    check_preconditions(row, pre, method="PUT")
    _write(session, app_pk, key, row, content, (content_type or DEFAULT_TYPE).strip(), clock)


def _json_object(content: bytes, what: str) -> dict:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"The {what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidInput(f"The {what} is not a JSON object")
    return value


def merge_document(session: Session, *, app_pk: int, key: DocumentKey, content: bytes, content_type: str | None,
                   pre: Preconditions, clock: Callable[[], datetime] = utcnow) -> None:
    """POST: merge the posted JSON object into the stored one, or create it when there is none."""
    # xAPI 1.0.3 Communication §2.2 s7-s8, 9274.1.1 4.1.6.2: top-level keys of the posted object win;
    # both documents must be application/json objects, else 400 and nothing changes.
    if not is_json_type(content_type):
        raise InvalidInput("A POST to a document resource merges JSON: Content-Type must be application/json")
    posted = _json_object(content, "posted document")
    row = _row(session, app_pk, key)
    check_preconditions(row, pre, method="POST")
    if row is None:
        _write(session, app_pk, key, None, content, JSON_TYPE, clock)
        return
    if not is_json_type(row.content_type):
        raise InvalidInput("The stored document is not application/json, so it cannot be merged")
    merged = {**_json_object(row.content, "stored document"), **posted}
    body = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _write(session, app_pk, key, row, body, JSON_TYPE, clock)


def delete_document(session: Session, *, app_pk: int, key: DocumentKey, pre: Preconditions) -> None:
    """Delete the document at KEY; deleting nothing is not an error (idempotent DELETE)."""
    row = _row(session, app_pk, key)
    check_preconditions(row, pre, method="DELETE")
    if row is not None:
        session.delete(row)
        session.flush()


def delete_documents(session: Session, *, app_pk: int, scope: DocumentKey) -> int:
    """Delete every document of SCOPE (State DELETE without stateId, 1.0.3 Communication §2.3)."""
    result = session.execute(
        delete(XapiDocument).where(XapiDocument.application_pk == app_pk,
                                   *[getattr(XapiDocument, c) == v for c, v in scope.scope().items()]))
    return result.rowcount or 0
