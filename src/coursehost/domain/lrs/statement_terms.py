"""What a statement is found by: its query columns and its agent / activity terms (xAPI 1.0.3
Communication §2.1.3 filters); pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from coursehost.domain.lrs.validation import agent_key

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


@dataclass
class StatementIndex:
    """The query columns of one statement and its (kind, value, related) terms."""

    actor_key: str | None
    verb_id: str
    object_type: str
    object_key: str | None
    registration: str | None
    ref_statement_id: str | None
    terms: set[tuple[str, str, bool]] = field(default_factory=set)


def index_statement(stmt: dict) -> StatementIndex:
    """The columns and terms of a prepared statement."""
    target = stmt["object"]
    object_type = target.get("objectType") or "Activity"
    context = stmt.get("context") or {}
    index = StatementIndex(
        actor_key=agent_key(stmt["actor"]), verb_id=stmt["verb"]["id"], object_type=object_type,
        object_key=_object_key(target), registration=_lower(context.get("registration")),
        ref_statement_id=_lower(target["id"]) if object_type == "StatementRef" else None,
    )
    # The actor and object are the `agent` / `activity` filters (related=False); everything else is
    # reached only by related_agents / related_activities (xAPI 1.0.3 Communication §2.1.3).
    _agent_terms(index.terms, stmt["actor"], related=False)
    if object_type in ("Agent", "Group"):
        _agent_terms(index.terms, target, related=False)
    elif object_type == "Activity":
        index.terms.add(("activity", target["id"], False))
    _context_terms(index.terms, context)
    if "authority" in stmt:
        _agent_terms(index.terms, stmt["authority"], related=True)
    if object_type == "SubStatement":
        _substatement_terms(index.terms, target)
    # A term that is both direct and related is kept once, as direct: related filters match both.
    direct = {(k, v) for k, v, r in index.terms if not r}
    index.terms = {(k, v, r) for k, v, r in index.terms if not r or (k, v) not in direct}
    return index


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _object_key(target: dict) -> str | None:
    kind = target.get("objectType") or "Activity"
    if kind in ("Agent", "Group"):
        return agent_key(target)
    if kind == "StatementRef":
        return target["id"].lower()
    if kind == "Activity":
        return target["id"]
    return None


def _agent_terms(terms: set, agent: dict, *, related: bool) -> None:
    key = agent_key(agent)
    if key:
        terms.add(("agent", key, related))
    # Members of a group are reached by related_agents only.
    for member in agent.get("member") or []:
        member_key = agent_key(member)
        if member_key:
            terms.add(("agent", member_key, True))


def _context_terms(terms: set, context: dict) -> None:
    for name in ("instructor", "team"):
        if isinstance(context.get(name), dict):
            _agent_terms(terms, context[name], related=True)
    # 9274.1.1 4.2.2.5 contextAgents / contextGroups are related agents too.
    for entry in context.get("contextAgents") or []:
        if isinstance(entry.get("agent"), dict):
            _agent_terms(terms, entry["agent"], related=True)
    for entry in context.get("contextGroups") or []:
        if isinstance(entry.get("group"), dict):
            _agent_terms(terms, entry["group"], related=True)
    for kind in CONTEXT_ACTIVITY_KINDS:
        value = (context.get("contextActivities") or {}).get(kind)
        for activity in [value] if isinstance(value, dict) else value or []:
            terms.add(("activity", activity["id"], True))


def _substatement_terms(terms: set, sub: dict) -> None:
    _agent_terms(terms, sub["actor"], related=True)
    target = sub["object"]
    kind = target.get("objectType") or "Activity"
    if kind in ("Agent", "Group"):
        _agent_terms(terms, target, related=True)
    elif kind == "Activity":
        terms.add(("activity", target["id"], True))
    _context_terms(terms, sub.get("context") or {})


def activities_in(stmt: dict) -> list[dict]:
    """Every Activity object the statement carries (object, context activities, sub-statement's)."""
    found: list[dict] = []

    def visit(s: dict) -> None:
        target = s.get("object") or {}
        if (target.get("objectType") or "Activity") == "Activity":
            found.append(target)
        ca = (s.get("context") or {}).get("contextActivities") or {}
        for kind in CONTEXT_ACTIVITY_KINDS:
            value = ca.get(kind)
            found.extend([value] if isinstance(value, dict) else value or [])
        if target.get("objectType") == "SubStatement":
            visit(target)

    visit(stmt)
    return found
