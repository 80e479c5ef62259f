"""Tags on courses, registrations, learners and dispatches (one table, one set of rules)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Tag
from coursehost.domain.errors import InvalidInput

MAX_TAG = 255
MAX_TAGS = 500


def clean_tags(tags: list | None, field: str = "tags") -> list[str]:
    """Tags as the caller gave them, trimmed, without duplicates; 400 for non-strings or oversize."""
    if tags is None:
        return []
    if not isinstance(tags, list):
        raise InvalidInput(f"{field} must be a list of strings")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidInput(f"{field} must be a list of strings")
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise InvalidInput(f"A tag in {field} is longer than {MAX_TAG} characters")
        if "\x00" in tag:  # PostgreSQL text cannot hold NUL
            raise InvalidInput(f"A tag in {field} must not contain NUL characters")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise InvalidInput(f"{field} may hold at most {MAX_TAGS} tags")
    return out


def get_tags(session: Session, *, application_pk: int, kind: str, key: str) -> list[str]:
    return list(session.scalars(
        select(Tag.tag).where(Tag.application_pk == application_pk, Tag.kind == kind, Tag.object_key == key)
        .order_by(Tag.pk)
    ))


def tags_for(session: Session, *, application_pk: int, kind: str, keys: list[str]) -> dict[str, list[str]]:
    """{key: [tags]} for many objects in one query."""
    out: dict[str, list[str]] = {k: [] for k in keys}
    if not keys:
        return out
    rows = session.execute(
        select(Tag.object_key, Tag.tag).where(
            Tag.application_pk == application_pk, Tag.kind == kind, Tag.object_key.in_(keys)
        ).order_by(Tag.pk)
    )
    for key, tag in rows:
        out.setdefault(key, []).append(tag)
    return out


def add_tags(session: Session, *, application_pk: int, kind: str, key: str, tags: list[str]) -> None:
    have = set(get_tags(session, application_pk=application_pk, kind=kind, key=key))
    for tag in tags:
        if tag not in have:
            session.add(Tag(application_pk=application_pk, kind=kind, object_key=key, tag=tag))
            have.add(tag)
    session.flush()


def set_tags(session: Session, *, application_pk: int, kind: str, key: str, tags: list[str]) -> None:
    """Replace the object's tags (PutCourseTags and friends)."""
    clear_tags(session, application_pk=application_pk, kind=kind, key=key)
    add_tags(session, application_pk=application_pk, kind=kind, key=key, tags=tags)


def remove_tags(session: Session, *, application_pk: int, kind: str, key: str, tags: list[str]) -> None:
    session.execute(delete(Tag).where(
        Tag.application_pk == application_pk, Tag.kind == kind, Tag.object_key == key, Tag.tag.in_(tags)
    ))


def clear_tags(session: Session, *, application_pk: int, kind: str, key: str) -> None:
    session.execute(delete(Tag).where(
        Tag.application_pk == application_pk, Tag.kind == kind, Tag.object_key == key
    ))


def keys_with_any_tag(application_pk: int, kind: str, tags: list[str]):
    """A subquery of object keys carrying any of TAGS (list filters: tags match any)."""
    return select(Tag.object_key).where(
        Tag.application_pk == application_pk, Tag.kind == kind, Tag.tag.in_(tags)
    )
