"""Reading and writing setting values along the cascade.

Levels, least to most specific: default, application, learningStandardForApplication, course,
dispatch, registration. A read walks the caller's chain from the most specific level to the least
and falls back to the catalog default; every value a chain can see comes back in one query.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, event, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.settings import SettingValue
from coursehost.domain.errors import InvalidInput
from coursehost.domain.settings_registry.catalog import (
    CATALOG,
    LEVELS,
    SettingDefinition,
    get_definition,
    normalize_value,
)

# The dialects' INSERT ... ON CONFLICT constructs, by dialect name.
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}  # "default" is rank 0
_KEY_COLUMNS = ("application_pk", "scope", "scope_key", "setting_id")


#: Bumped whenever this process writes a setting value (when written and again when its transaction ends):
#: a per-process cache of effective settings keyed by it is exact for this process's own writes and
#: bounded in staleness (its TTL) for other processes' (docs/ARCHITECTURE.md "Processes and shared state").
_GENERATION = [0]
_CHANGED = "coursehost.settings_changed"


def generation() -> int:
    """This process's settings generation (see _GENERATION)."""
    return _GENERATION[0]


def _changed(session: Session) -> None:
    _GENERATION[0] += 1
    session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _bump_on_end(session: Session) -> None:
    """Again when a transaction that wrote settings ends: committed, every value read during it is
    old; rolled back, values it wrote and a read cached never existed."""
    if session.info.pop(_CHANGED, False):
        _GENERATION[0] += 1


class SettingLevelError(InvalidInput):
    """A setting set at a level more specific than its metadata allows."""


@dataclass(frozen=True)
class SettingScope:
    """One level of the cascade: the level name and the thing at that level.

    Course versions use scope "course" with key "courseId|version"; registration instances use
    "registration" with "registrationId|instance"; each reports its level name as the source."""

    scope: str
    key: str = ""


@dataclass(frozen=True)
class SettingItem:
    """A setting as one chain sees it (SettingItem on the wire)."""

    id: str
    effective_value: str
    effective_value_source: str
    explicit_value: str | None
    metadata: SettingDefinition | None


def application_scope() -> SettingScope:
    """The application level."""
    return SettingScope("application", "")


def learning_standard_scope(standard: str, single_sco: bool) -> SettingScope:
    """The learningStandardForApplication level for STANDARD and single- or multi-SCO courses."""
    return SettingScope("learningStandardForApplication", f"{standard}|{'single' if single_sco else 'multi'}")


def settable_at(level: str) -> list[SettingDefinition]:
    """The settings a value may be set for at LEVEL (e.g. "course"), in catalog order."""
    rank = _rank(SettingScope(level))
    return [d for d in CATALOG.values() if _RANK[d.level] >= rank]


def _rank(scope: SettingScope) -> int:
    rank = _RANK.get(scope.scope)
    if rank is None:  # a programming error, not user input
        raise ValueError(f"unknown setting scope {scope.scope!r}; expected one of {', '.join(LEVELS)}")
    return rank


def _with_fallbacks(ids: Iterable[str]) -> set[str]:
    """IDS plus every setting their fallbacks (transitively) read."""
    needed: set[str] = set()
    stack = list(ids)
    while stack:
        setting_id = stack.pop()
        if setting_id in needed:
            continue
        needed.add(setting_id)
        fallback = CATALOG[setting_id].fallback
        if fallback:
            stack.append(fallback)
    return needed


def _load_values(
    session: Session, application_pk: int, chain: Sequence[SettingScope], ids: set[str] | None
) -> dict[tuple[str, str], dict[str, str]]:
    """{(scope, key): {setting_id: value}} for every level of CHAIN, in one query."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    pairs = list(dict.fromkeys((s.scope, s.key) for s in chain))
    if not pairs:
        return found
    stmt = select(SettingValue.scope, SettingValue.scope_key, SettingValue.setting_id, SettingValue.value).where(
        SettingValue.application_pk == application_pk,
        or_(*(and_(SettingValue.scope == scope, SettingValue.scope_key == key) for scope, key in pairs)),
    )
    if ids is not None:
        stmt = stmt.where(SettingValue.setting_id.in_(sorted(ids)))
    for scope, key, setting_id, value in session.execute(stmt):
        found.setdefault((scope, key), {})[setting_id] = value
    return found


def _resolve(
    setting_id: str, chain: Sequence[SettingScope], found: dict[tuple[str, str], dict[str, str]],
    seen: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(effective value, source level) of SETTING_ID along CHAIN, fallbacks before the default."""
    for scope in chain:
        value = found.get((scope.scope, scope.key), {}).get(setting_id)
        if value is not None:
            return value, scope.scope
    definition = CATALOG[setting_id]
    if definition.fallback and definition.fallback not in seen:
        return _resolve(definition.fallback, chain, found, seen | {setting_id})
    return definition.default, "default"


def read_settings(
    session: Session,
    *,
    application_pk: int,
    chain: Sequence[SettingScope],
    include_metadata: bool = False,
    setting_ids: Iterable[str] | None = None,
) -> list[SettingItem]:
    """Every setting (or SETTING_IDS) as CHAIN, most specific level first, sees it."""
    chain = list(chain)
    for scope in chain:
        _rank(scope)
    if setting_ids is None:
        ids, wanted = list(CATALOG), None
    else:
        ids = list(dict.fromkeys(get_definition(setting_id).id for setting_id in setting_ids))
        wanted = _with_fallbacks(ids)
    found = _load_values(session, application_pk, chain, wanted)
    most_specific = found.get((chain[0].scope, chain[0].key), {}) if chain else {}
    items = []
    for setting_id in ids:
        value, source = _resolve(setting_id, chain, found)
        items.append(SettingItem(
            id=setting_id,
            effective_value=value,
            effective_value_source=source,
            explicit_value=most_specific.get(setting_id),
            metadata=CATALOG[setting_id] if include_metadata else None,
        ))
    return items


#: How long effective_values may answer the cached levels from this process's cache (seconds): a
#: value another process set there reaches this process within this time; its own writes at once.
CACHE_TTL_SECONDS = 2.0
_CACHE: dict[tuple, tuple[int, float, dict[tuple[str, str], dict[str, str]]]] = {}
_CACHE_MAX = 4096
_FRESH_STMT = select(SettingValue.scope, SettingValue.scope_key, SettingValue.setting_id, SettingValue.value).where(
    SettingValue.application_pk == bindparam("app"),
    tuple_(SettingValue.scope, SettingValue.scope_key).in_(bindparam("pairs", expanding=True)))


def effective_values(
    session: Session, *, application_pk: int, fresh: Sequence[SettingScope], cached: Sequence[SettingScope],
    setting_ids: Iterable[str],
) -> dict[str, str]:
    """{setting id: effective value} along the chain FRESH + CACHED (most specific first), as
    read_settings answers it; FRESH's levels (a registration's) read now in one prepared statement,
    CACHED's (a course version's, its course's, the standard's, the application's: shared by many
    registrations) from a per-process cache at most CACHE_TTL_SECONDS old and emptied by this
    process's own writes (see _GENERATION)."""
    chain = [*fresh, *cached]
    ids = list(dict.fromkeys(get_definition(setting_id).id for setting_id in setting_ids))
    wanted = _with_fallbacks(ids)
    # The database is part of the key: one process may serve several (the tests' live servers do).
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)  # a session bound to a Connection (tests' rolled-back units)
    key = (id(engine), str(engine.url), application_pk, tuple(cached), frozenset(wanted))
    now, gen = time.monotonic(), _GENERATION[0]
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == gen and now - hit[1] < CACHE_TTL_SECONDS:
        upper = hit[2]
    else:
        upper = _load_values(session, application_pk, list(cached), wanted)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = (gen, now, upper)
    found = {k: dict(v) for k, v in upper.items()}
    pairs = list(dict.fromkeys((s.scope, s.key) for s in fresh))
    if pairs:
        for scope, scope_key, setting_id, value in session.execute(
                _FRESH_STMT, {"app": application_pk, "pairs": pairs}):
            if setting_id in wanted:
                found.setdefault((scope, scope_key), {})[setting_id] = value
    return {setting_id: _resolve(setting_id, chain, found)[0] for setting_id in ids}


def effective_value(
    session: Session, *, application_pk: int, chain: Sequence[SettingScope], setting_id: str
) -> str:
    """The value of one setting as CHAIN sees it."""
    (item,) = read_settings(session, application_pk=application_pk, chain=chain, setting_ids=[setting_id])
    return item.effective_value


def _validated(scope: SettingScope, values: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{setting_id: canonical value}; raises on the first bad pair before anything is written."""
    rank = _rank(scope)
    result: dict[str, str] = {}
    for setting_id, raw in values:
        definition = get_definition(setting_id)
        if _RANK[definition.level] < rank:
            raise SettingLevelError(
                f"Setting [{setting_id}] can be set at {definition.level} level at most, "
                f"not at {scope.scope} level"
            )
        result[setting_id] = normalize_value(definition, raw)  # a repeated id: the last one wins
    return result


def set_settings(
    session: Session, *, application_pk: int, scope: SettingScope, values: Iterable[tuple[str, str]]
) -> None:
    """Set (settingId, value) pairs at SCOPE: all of them, or none when any is unknown or invalid."""
    clean = _validated(scope, values)
    if not clean:
        return
    _changed(session)
    now = utcnow()
    rows = [
        {"application_pk": application_pk, "scope": scope.scope, "scope_key": scope.key,
         "setting_id": setting_id, "value": value, "updated": now}
        for setting_id, value in clean.items()
    ]
    insert = _UPSERT_INSERTS.get(session.get_bind(SettingValue).dialect.name)
    if insert is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        _set_portably(session, application_pk, scope, clean, now)
        return
    # An upsert, so two requests setting the same value at once both succeed instead of one
    # failing on the unique constraint.
    stmt = insert(SettingValue).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_KEY_COLUMNS),
        set_={"value": stmt.excluded.value, "updated": stmt.excluded.updated},
    )
    session.execute(stmt)


def _set_portably(session, application_pk, scope, clean, now) -> None:  # pragma: no cover
    existing = {
        row.setting_id: row
        for row in session.scalars(select(SettingValue).where(
            SettingValue.application_pk == application_pk, SettingValue.scope == scope.scope,
            SettingValue.scope_key == scope.key, SettingValue.setting_id.in_(list(clean)),
        ))
    }
    for setting_id, value in clean.items():
        row = existing.get(setting_id)
        if row is None:
            session.add(SettingValue(application_pk=application_pk, scope=scope.scope, scope_key=scope.key,
                                     setting_id=setting_id, value=value, updated=now))
        else:
            row.value, row.updated = value, now
    session.flush()


def delete_setting(session: Session, *, application_pk: int, scope: SettingScope, setting_id: str) -> bool:
    """Clear SETTING_ID at SCOPE only (the next level up shows through); True if a value was set."""
    get_definition(setting_id)
    _rank(scope)
    _changed(session)
    result = session.execute(
        delete(SettingValue).where(
            SettingValue.application_pk == application_pk, SettingValue.scope == scope.scope,
            SettingValue.scope_key == scope.key, SettingValue.setting_id == setting_id,
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def delete_all_settings(
    session: Session, *, application_pk: int, scope: SettingScope, with_sub_keys: bool = False
) -> int:
    """Clear every value at SCOPE (and, WITH_SUB_KEYS, at "key|..." such as a course's versions)."""
    _rank(scope)
    _changed(session)
    match = SettingValue.scope_key == scope.key
    if with_sub_keys:
        match = or_(match, SettingValue.scope_key.startswith(f"{scope.key}|", autoescape=True))
    result = session.execute(
        delete(SettingValue).where(
            SettingValue.application_pk == application_pk, SettingValue.scope == scope.scope, match,
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount
