"""Storing statements (xAPI 1.0.3 Data §2.3-2.4, Communication §2.1.1-2.1.2; 9274.1.1 4.1.6.1):
ids, stored, authority and version set by the LRS, conflicts, voiding, all-or-nothing batches,
canonical activities. Pure of HTTP: the caller owns the transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement, XapiStatementTerm
from coursehost.domain.errors import Conflict, InvalidInput
from coursehost.domain.lrs.activities import update_activities
from coursehost.domain.lrs.attachments import all_attachments, store_attachments
from coursehost.domain.lrs.comparison import same_statement
from coursehost.domain.lrs.signatures import check_signatures
from coursehost.domain.lrs.statement_counts import COLUMNS, Deltas, stored_rows
from coursehost.domain.lrs.statement_terms import VOIDED, index_statement
from coursehost.domain.lrs.validation import normalize_statement, parse_timestamp, validate_statements
from coursehost.domain.lrs.versions import V2
from coursehost.storage.base import BlobStore

#: Rows per INSERT ... VALUES statement (SQLite allows 32,766 bound parameters).
CHUNK = 500


@dataclass(frozen=True)
class Writer:
    """Whose statements these are: the application, the writing credential and its authority."""

    app_pk: int
    credential_id: str | None
    authority: dict


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z (xAPI 1.0.3 Data §4.5: ms precision)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_ms(now: datetime | None = None) -> datetime:
    """The current time truncated to milliseconds (stored is kept at ms precision)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def store_statements(session: Session, *, writer: Writer, body: object, version: str,
                     attachments: dict[str, tuple[str, bytes]] | None = None, statement_id: str | None = None,
                     now: datetime | None = None, store: BlobStore | None = None) -> list[str]:
    """Validate and store one statement or a batch; returns their ids in order. Nothing is stored
    when anything fails (Communication §2.1.2: the whole batch is rejected)."""
    statements = validate_statements(body, version=version)
    check_hashes(attachments or {})
    check_signatures(statements, attachments or {})
    if statement_id is not None:
        _match_put_id(statements, statement_id)
    if not statements:
        return []
    stored = now_ms(now)
    prepared = [prepare_statement(s, writer=writer, version=version, stored=stored) for s in statements]
    defaulted_ts = {p["id"] for p, s in zip(prepared, statements) if "timestamp" not in s}
    ids = [s["id"] for s in prepared]
    if len(set(ids)) != len(ids):
        raise InvalidInput("The batch has two statements with the same id (Communication §2.1.2)")
    check_attachments(prepared, attachments or {})
    existing = _existing(session, writer.app_pk, ids)
    fresh = []
    for stmt in prepared:
        old = existing.get(stmt["id"])
        if old is None:
            fresh.append(stmt)
        elif not same_statement(old, stmt, ignore_timestamp=stmt["id"] in defaulted_ts):
            # Communication §2.1.2: same id, different statement -> 409; same statement -> no-op.
            raise Conflict(f"Statement {stmt['id']} already exists with different content")
    if fresh:
        counts = Deltas(session, writer.app_pk)
        _insert(session, writer, fresh, stored, counts)
        _apply_voiding(session, writer.app_pk, fresh, counts)
        counts.flush()  # the report counts change in this transaction (issue 20)
        update_activities(session, app_pk=writer.app_pk, statements=fresh, now=stored)
        if attachments:
            if store is None:
                raise ValueError("statements with attachments need the blob store")
            store_attachments(session, store=store, app_pk=writer.app_pk, parts=attachments)
    return ids


def _match_put_id(statements: list[dict], statement_id: str) -> None:
    """PUT ?statementId= stores one statement; its id, when present, must be the parameter."""
    if len(statements) != 1:
        raise InvalidInput("PUT stores exactly one statement")
    stmt = statements[0]
    if "id" in stmt and str(stmt["id"]).lower() != statement_id.lower():
        raise InvalidInput("The statement's id does not match the statementId parameter")
    statements[0] = {**stmt, "id": statement_id}


def prepare_statement(stmt: dict, *, writer: Writer, version: str, stored: datetime) -> dict:
    """The statement as stored: id assigned, stored and authority set by the LRS (Data §2.4.8,
    §2.4.9: the LRS SHOULD overwrite authority), version defaulted (Data §2.4.10), timestamp
    defaulted to stored (Data §2.4.7)."""
    out = normalize_statement(stmt, version=version)
    out["id"] = str(out.get("id") or uuid.uuid4()).lower()
    stamp = format_timestamp(stored)
    out["stored"] = stamp
    out["authority"] = writer.authority
    out.setdefault("timestamp", stamp)
    out.setdefault("version", "2.0.0" if version == V2 else "1.0.0")
    return out


def check_attachments(statements: list[dict], parts: dict[str, tuple[str, bytes]]) -> None:
    """Every attachment without a fileUrl has a part, and every part belongs to an attachment
    (Data §2.4.11, Communication §1.5.2)."""
    wanted: set[str] = set()
    for stmt in statements:
        for att in all_attachments(stmt):
            if "fileUrl" not in att or att["sha2"] in parts:
                wanted.add(att["sha2"])
    missing = wanted - set(parts)
    if missing:
        raise InvalidInput(f"No attachment part has the SHA-2 hash {sorted(missing)[0]}")
    extra = set(parts) - wanted
    if extra:
        raise InvalidInput(f"The attachment part with hash {sorted(extra)[0]} belongs to no attachment")


_DIGESTS = {64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


def check_hashes(parts: dict[str, tuple[str, bytes]]) -> None:
    """Each part's content has the SHA-2 its X-Experience-API-Hash names (Data §2.4.11)."""
    for sha2, (_ctype, content) in parts.items():
        digest = _DIGESTS.get(len(sha2))
        if digest is None or digest(content).hexdigest() != sha2.lower():
            raise InvalidInput(f"The attachment part's content does not have the SHA-2 hash {sha2}")


def _existing(session: Session, app_pk: int, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(select(XapiStatement.statement_id, XapiStatement.body).where(
            XapiStatement.application_pk == app_pk, XapiStatement.statement_id.in_(ids[start:start + CHUNK])))
        found.update({sid: json.loads(body) for sid, body in rows})
    return found


def statement_rows(writer: Writer, statements: list[dict], stored: datetime) -> list[tuple[dict, list[dict]]]:
    """The xapi_statement row of each prepared statement and its xapi_statement_term rows (without
    statement_pk, known only once the statement row is inserted); pure."""
    out = []
    for stmt in statements:
        index = index_statement(stmt)
        row = {
            "application_pk": writer.app_pk, "statement_id": stmt["id"], "stored": stored,
            "timestamp": parse_timestamp(stmt["timestamp"]), "version": stmt["version"],
            "verb_id": index.verb_id, "actor_key": index.actor_key, "object_type": index.object_type,
            "object_key": index.object_key, "registration": index.registration,
            "ref_statement_id": index.ref_statement_id, "voided": False,
            "has_attachments": bool(all_attachments(stmt)), "credential_id": writer.credential_id,
            "body": json.dumps(stmt, ensure_ascii=False, separators=(",", ":")),
        }
        terms = [{"application_pk": writer.app_pk, "kind": kind, "value": value, "related": related}
                 for kind, value, related in sorted(index.terms)]
        out.append((row, terms))
    return out


def _insert(session: Session, writer: Writer, statements: list[dict], stored: datetime, counts: Deltas) -> None:
    """The statements' rows, then their terms, each as one executemany per CHUNK rows; COUNTS gets them."""
    pairs = statement_rows(writer, statements, stored)
    insert_rows(session, pairs, writer.app_pk)
    counts.add(stored_rows(row for row, _ in pairs), +1)


def insert_rows(session: Session, pairs: list[tuple[dict, list[dict]]], app_pk: int) -> None:
    """Insert statement rows and their term rows (SESSION may be a Session or a Connection).
    PostgreSQL: INSERT ... RETURNING pk, many rows per statement. SQLite: SQLAlchemy would insert
    one row at a time to keep RETURNING's order, so the rows go in by executemany and their pks are
    read back by statement id (bench/lrs.py measured both: each is the faster on its backend)."""
    rows = [row for row, _ in pairs]
    dialect = session.dialect if hasattr(session, "dialect") else session.get_bind().dialect
    pks: dict[str, int] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if dialect.name == "postgresql":
            returned = session.execute(insert(XapiStatement).returning(XapiStatement.pk, sort_by_parameter_order=True),
                                       chunk).scalars().all()
            pks.update(zip((row["statement_id"] for row in chunk), returned))
            continue
        session.execute(insert(XapiStatement), chunk)
        pks.update(session.execute(select(XapiStatement.statement_id, XapiStatement.pk).where(
            XapiStatement.application_pk == app_pk,
            XapiStatement.statement_id.in_([row["statement_id"] for row in chunk]))).all())
    terms = [{**term, "statement_pk": pks[row["statement_id"]]} for row, row_terms in pairs for term in row_terms]
    for start in range(0, len(terms), CHUNK):
        session.execute(insert(XapiStatementTerm), terms[start:start + CHUNK])


def _apply_voiding(session: Session, app_pk: int, statements: list[dict], counts: Deltas) -> None:
    """Data §2.3.2: a voiding statement voids its target unless the target is itself a voiding
    statement (XAPI-00016); a target that arrives after its voiding statement is voided too. Each
    statement that becomes voided here leaves COUNTS."""
    targets = [s["object"]["id"].lower() for s in statements if s["verb"]["id"] == VOIDED]
    for start in range(0, len(targets), CHUNK):
        conds = (XapiStatement.application_pk == app_pk, XapiStatement.statement_id.in_(targets[start:start + CHUNK]),
                 XapiStatement.verb_id != VOIDED)
        counts.add(session.execute(select(*COLUMNS).where(*conds, XapiStatement.voided.is_(False))).all(), -1)
        session.execute(update(XapiStatement).where(*conds).values(voided=True))
    new_ids = [s["id"] for s in statements if s["verb"]["id"] != VOIDED]
    for start in range(0, len(new_ids), CHUNK):
        voiders = select(XapiStatement.ref_statement_id).where(
            XapiStatement.application_pk == app_pk, XapiStatement.verb_id == VOIDED,
            XapiStatement.ref_statement_id.in_(new_ids[start:start + CHUNK]))
        voided = (XapiStatement.application_pk == app_pk, XapiStatement.statement_id.in_(voiders))
        counts.add(session.execute(select(*COLUMNS).where(*voided, XapiStatement.voided.is_(False))).all(), -1)
        session.execute(update(XapiStatement).where(*voided).values(voided=True))
