"""Attachment content (xAPI 1.0.3 Data §2.4.11, Communication §1.5.2): stored once per application
and SHA-2 hash; read back for GET statements with attachments=true."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiAttachment

CHUNK = 200


def store_attachments(session: Session, *, app_pk: int, statements: list[dict],
                      parts: dict[str, tuple[str, bytes]]) -> None:
    """Keep each part's content the application does not have yet."""
    if not parts:
        return
    hashes = list(parts)
    have = set(session.scalars(select(XapiAttachment.sha2).where(
        XapiAttachment.application_pk == app_pk, XapiAttachment.sha2.in_(hashes))))
    rows = [{"application_pk": app_pk, "sha2": sha2, "content_type": ctype[:255], "content": content}
            for sha2, (ctype, content) in parts.items() if sha2 not in have]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(XapiAttachment).on_conflict_do_nothing(), rows[start:start + CHUNK])


def load_attachments(session: Session, *, app_pk: int, hashes: set[str]) -> dict[str, tuple[str, bytes]]:
    """The stored content of HASHES: {sha2: (content type, bytes)}."""
    found: dict[str, tuple[str, bytes]] = {}
    wanted = sorted(hashes)
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(select(XapiAttachment.sha2, XapiAttachment.content_type, XapiAttachment.content)
                               .where(XapiAttachment.application_pk == app_pk,
                                      XapiAttachment.sha2.in_(wanted[start:start + CHUNK])))
        found.update({sha2: (ctype, bytes(content)) for sha2, ctype, content in rows})
    return found
