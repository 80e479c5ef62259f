"""Reading statements (xAPI 1.0.3 Communication §2.1.3; 9274.1.1 4.1.6.1): by id, by voided id,
and the filtered query with keyset `more` paging and the StatementRef filter rule. Pure of HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from coursehost.db.models.lrs import XapiActivity, XapiStatement, XapiStatementTerm
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs.statement_format import FORMATS, format_statement
from coursehost.domain.lrs.statement_terms import activities_in
from coursehost.domain.lrs.validation import agent_key, is_iri, is_uuid, parse_timestamp, validate_agent

MAX_PAGE = 500
FILTERS = ("agent", "verb", "activity", "registration", "related_activities", "related_agents", "since",
           "until", "limit", "format", "attachments", "ascending")
SINGLE = ("statementId", "voidedStatementId")


@dataclass
class StatementQuery:
    """The filters of one statement query, validated."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    params: dict[str, str] = field(default_factory=dict)
    after: tuple[str, int] | None = None  # keyset of the last statement of the previous page


def _bool(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise InvalidInput(f"{name} must be true or false")
    return value.lower() == "true"


def parse_query(params: dict[str, str], *, version: str) -> StatementQuery:
    """The query PARAMS describe; 400 for unknown parameters and bad values (Communication §2.1.3)."""
    unknown = sorted(set(params) - set(FILTERS))
    if unknown:
        raise InvalidInput(f"Unknown statements parameter {unknown[0]!r}")
    q = StatementQuery(params=dict(params))
    if "agent" in params:
        try:
            agent = json.loads(params["agent"])
        except ValueError:
            raise InvalidInput("agent must be a JSON Agent or identified Group") from None
        validate_agent(agent, version=version, path="agent")
        q.agent = agent_key(agent)
    # Parameter values validate like the same values in statements (xAPI 1.0.3 Data §2.2.s4.b4,
    # XAPI-00012): verb and activity ids are IRIs.
    for name in ("verb", "activity"):
        if name in params and not is_iri(params[name]):
            raise InvalidInput(f"{name} must be an IRI")
    q.verb = params.get("verb")
    q.activity = params.get("activity")
    if "registration" in params:
        if not is_uuid(params["registration"]):
            raise InvalidInput("registration must be a UUID")
        q.registration = params["registration"].lower()
    for name in ("related_activities", "related_agents", "attachments", "ascending"):
        if name in params:
            setattr(q, name, _bool(name, params[name]))
    for name in ("since", "until"):
        if name in params:
            setattr(q, name, parse_timestamp(params[name], name))
    if "limit" in params:
        if not params["limit"].isdigit():
            raise InvalidInput("limit must be a non-negative integer")
        q.limit = int(params["limit"])
    if "format" in params:
        if params["format"] not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
        q.format = params["format"]
    return q


def pack_cursor(payload: dict) -> str:
    """PAYLOAD as an opaque, URL-safe paging token."""
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def unpack_cursor(token: str) -> dict:
    """The payload of a pack_cursor token; ValueError (or KeyError, TypeError) when it is not one."""
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def encode_more(query: StatementQuery, last: tuple[datetime, int]) -> str:
    """The opaque cursor of the page after LAST: the query's parameters and the keyset."""
    return pack_cursor({"q": query.params, "s": last[0].isoformat(), "p": last[1]})


def decode_more(token: str, *, version: str) -> StatementQuery:
    """The query a `more` cursor continues; 400 when it is not one of ours."""
    try:
        payload = unpack_cursor(token)
        query = parse_query(payload["q"], version=version)
        query.after = (datetime.fromisoformat(payload["s"]).isoformat(), int(payload["p"]))  # checked here, not at query
    except InvalidInput:
        raise
    except Exception:
        raise InvalidInput("more is not a cursor this LRS issued") from None
    return query


def _filters(query: StatementQuery, app_pk: int, stmt, agent_side: str | None = None) -> list:
    """The conditions the StatementRef rule propagates (agent .. related_*, registration).
    AGENT_SIDE "actor" or "object" keeps one half of the (non-related) agent filter."""
    conds = []
    term = aliased(XapiStatementTerm)

    def has_term(kind: str, value: str, related: bool):
        extra = [] if related else [term.related.is_(False)]
        return exists().where(term.statement_pk == stmt.pk, term.application_pk == app_pk,
                              term.kind == kind, term.value == value, *extra)

    if query.agent is not None:
        as_actor = stmt.actor_key == query.agent
        as_object = and_(stmt.object_type.in_(("Agent", "Group")), stmt.object_key == query.agent)
        conds.append(has_term("agent", query.agent, True) if query.related_agents else
                     {"actor": as_actor, "object": as_object}.get(agent_side, or_(as_actor, as_object)))
    if query.verb is not None:
        conds.append(stmt.verb_id == query.verb)
    if query.activity is not None:
        conds.append(has_term("activity", query.activity, True) if query.related_activities else and_(
            stmt.object_type == "Activity", stmt.object_key == query.activity))
    if query.registration is not None:
        conds.append(stmt.registration == query.registration)
    return conds


def _ref_ids(session: Session, query: StatementQuery, app_pk: int) -> list[str]:
    """Communication §2.1.3 "Filter Conditions for StatementRefs": the ids of the statements that
    target a statement matching the filters (voided targets count), recursively. Found from the
    StatementRef side (few statements are StatementRefs), never by listing every match."""
    target, ref = aliased(XapiStatement), aliased(XapiStatement)
    seed = select(ref.statement_id).where(
        ref.application_pk == app_pk, ref.ref_statement_id.is_not(None),
        exists().where(target.application_pk == app_pk, target.statement_id == ref.ref_statement_id,
                       *_filters(query, app_pk, target)))
    refs = seed.cte("refs", recursive=True)
    later = aliased(XapiStatement)
    refs = refs.union(select(later.statement_id).join(refs, later.ref_statement_id == refs.c.statement_id)
                      .where(later.application_pk == app_pk))
    return list(session.execute(select(refs.c.statement_id)).scalars())


def find_statements(session: Session, *, app_pk: int, query: StatementQuery, credential_id: str | None,
                    reads_all: bool, include_voided: bool = False) -> tuple[list[dict], tuple[datetime, int] | None, list]:
    """One page of the query: the statements (stored bodies), the keyset of the next page or None,
    and the `stored` of each returned statement. INCLUDE_VOIDED (the console's viewer, never the
    LRS: Communication §2.1.3 leaves voided statements out of every query) keeps them in."""
    s = XapiStatement
    conds = [s.application_pk == app_pk]
    if not include_voided:
        conds.append(s.voided.is_(False))
    if query.since is not None:
        conds.append(s.stored > query.since)
    if query.until is not None:
        conds.append(s.stored <= query.until)
    if not reads_all:
        conds.append(s.credential_id == credential_id)
    if query.after is not None:
        stored_after = datetime.fromisoformat(query.after[0])
        pk_after = query.after[1]
        if query.ascending:
            conds.append(or_(s.stored > stored_after, and_(s.stored == stored_after, s.pk > pk_after)))
        else:
            conds.append(or_(s.stored < stored_after, and_(s.stored == stored_after, s.pk < pk_after)))
    order = (s.stored.asc(), s.pk.asc()) if query.ascending else (s.stored.desc(), s.pk.desc())
    size = min(query.limit or MAX_PAGE, MAX_PAGE)

    def page(*extra) -> list:
        return session.execute(select(s.body, s.stored, s.pk).where(*conds, *extra).order_by(*order)
                               .limit(size + 1)).all()

    if not _filters(query, app_pk, s):
        rows = page()
    else:
        # The statements matching the filters themselves, and those targeting one (StatementRef
        # rule), each a page in the query's order; one page of their union. The agent filter's two
        # halves (actor; Agent / Group object) are separate queries so each can use its index.
        sides = ("actor", "object") if query.agent is not None and not query.related_agents else (None,)
        found = {r.pk: r for side in sides for r in page(*_filters(query, app_pk, s, side))}
        ref_ids = _ref_ids(session, query, app_pk)
        for start in range(0, len(ref_ids), MAX_PAGE):
            found.update((r.pk, r) for r in page(s.statement_id.in_(ref_ids[start:start + MAX_PAGE])))
        rows = sorted(found.values(), key=lambda r: (r.stored, r.pk), reverse=not query.ascending)[:size + 1]
    more = (rows[size - 1].stored, rows[size - 1].pk) if len(rows) > size else None
    rows = rows[:size]
    return [json.loads(r.body) for r in rows], more, [r.stored for r in rows]


def voided_among(session: Session, *, app_pk: int, statement_ids: list[str]) -> set[str]:
    """Which of STATEMENT_IDS are voided statements of the application."""
    found: set[str] = set()
    for start in range(0, len(statement_ids), MAX_PAGE):
        found.update(session.scalars(select(XapiStatement.statement_id).where(
            XapiStatement.application_pk == app_pk, XapiStatement.voided.is_(True),
            XapiStatement.statement_id.in_([i.lower() for i in statement_ids[start:start + MAX_PAGE]]))))
    return found


def statement_pages(session_factory, *, app_pk: int, query: StatementQuery,
                    include_voided: bool = False) -> Iterator[list[dict]]:
    """Every statement the query finds, a page (of at most MAX_PAGE) at a time, each page read in
    its own short transaction: an export of any size never holds more than one page."""
    query = replace(query, limit=0)
    while True:
        with session_factory() as session:
            statements, more, _ = find_statements(session, app_pk=app_pk, query=query, credential_id=None,
                                                  reads_all=True, include_voided=include_voided)
            shown = present(statements, query, languages=[], definitions=canonical_definitions(
                session, app_pk=app_pk, statements=statements) if query.format == "canonical" else {})
        if shown:
            yield shown
        if more is None:
            return
        query = replace(query, after=(more[0].isoformat(), more[1]))


def get_statement(session: Session, *, app_pk: int, statement_id: str, voided: bool,
                  credential_id: str | None, reads_all: bool) -> tuple[dict, datetime] | None:
    """The statement with STATEMENT_ID; statementId finds only non-voided statements and
    voidedStatementId only voided ones (Communication §2.1.3)."""
    conds = [XapiStatement.application_pk == app_pk, XapiStatement.statement_id == statement_id.lower(),
             XapiStatement.voided.is_(voided)]
    if not reads_all:
        conds.append(XapiStatement.credential_id == credential_id)
    row = session.execute(select(XapiStatement.body, XapiStatement.stored).where(*conds)).first()
    return None if row is None else (json.loads(row.body), row.stored)


def canonical_definitions(session: Session, *, app_pk: int, statements: list[dict]) -> dict[str, dict]:
    """The LRS's canonical definitions of the activities STATEMENTS name (format=canonical)."""
    ids = sorted({a["id"] for st in statements for a in activities_in(st)})
    found: dict[str, dict] = {}
    for start in range(0, len(ids), MAX_PAGE):
        rows = session.execute(select(XapiActivity.activity_id, XapiActivity.definition).where(
            XapiActivity.application_pk == app_pk, XapiActivity.activity_id.in_(ids[start:start + MAX_PAGE])))
        found.update({aid: json.loads(d) for aid, d in rows if d and d != "{}"})
    return found


def present(statements: list[dict], query: StatementQuery, *, languages: list[str],
            definitions: dict[str, dict]) -> list[dict]:
    """The statements in the query's format."""
    return [format_statement(st, query.format, languages=languages, definitions=definitions) for st in statements]
