"""Attachment content (xAPI 1.0.3 Data §2.4.11, Communication §1.5.2): stored once per application
and SHA-2 hash in the blob store; read back for GET statements with attachments=true."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiAttachment
from coursehost.storage.base import BlobNotFound, BlobStore

CHUNK = 200
_HEX = re.compile(r"[0-9a-f]{40,128}")


def all_attachments(stmt: dict) -> list[dict]:
    """The attachments of STMT and of its SubStatement object (Data §2.4.11, §2.4.4.3)."""
    found = list(stmt.get("attachments") or [])
    target = stmt.get("object") or {}
    if target.get("objectType") == "SubStatement":
        found += target.get("attachments") or []
    return found


def blob_key(app_pk: int, sha2: str) -> str:
    """Where the content with hash SHA2 of application APP_PK lives in the blob store. The hash was
    checked against the content, but it comes from the request: anything but hex is hashed again."""
    name = sha2.lower()
    if not _HEX.fullmatch(name):
        name = hashlib.sha256(sha2.encode("utf-8", "surrogatepass")).hexdigest()
    return f"lrs/{app_pk}/attachments/{name}"


def store_attachments(session: Session, *, store: BlobStore, app_pk: int,
                      parts: dict[str, tuple[str, bytes]]) -> None:
    """Keep each part's content the application does not have yet. The blob is written before the
    row: a transaction that rolls back leaves at most an unreferenced blob under a content-addressed
    key, which the next upload of the same content reuses; never a row without its content."""
    if not parts:
        return
    have = set(session.scalars(select(XapiAttachment.sha2).where(
        XapiAttachment.application_pk == app_pk, XapiAttachment.sha2.in_(list(parts)))))
    rows = []
    for sha2, (ctype, content) in sorted(parts.items()):  # sorted: a fixed lock order (see activities.py)
        if sha2 in have:
            continue
        key = blob_key(app_pk, sha2)
        store.put(key, content, ctype)
        rows.append({"application_pk": app_pk, "sha2": sha2, "content_type": ctype[:255], "blob_key": key,
                     "length": len(content)})
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(XapiAttachment).on_conflict_do_nothing(), rows[start:start + CHUNK])


def load_attachments(session: Session, *, store: BlobStore, app_pk: int,
                     hashes: set[str]) -> dict[str, tuple[str, bytes]]:
    """The stored content of HASHES: {sha2: (content type, bytes)}; a blob gone missing is skipped."""
    found: dict[str, tuple[str, bytes]] = {}
    wanted = sorted(hashes)
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(select(XapiAttachment.sha2, XapiAttachment.content_type, XapiAttachment.blob_key)
                               .where(XapiAttachment.application_pk == app_pk,
                                      XapiAttachment.sha2.in_(wanted[start:start + CHUNK])))
        for sha2, ctype, key in rows:
            try:
                found[sha2] = (ctype, store.get(key))
            except BlobNotFound:
                continue
    return found
