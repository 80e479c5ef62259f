"""The statement formats of GET statements (xAPI 1.0.3 Communication §2.1.3 `format`): exact,
ids and canonical (with the language filtering of Accept-Language); pure."""

from __future__ import annotations

from coursehost.domain.lrs.validation_values import IFIS

FORMATS = ("exact", "ids", "canonical")
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def format_statement(stmt: dict, fmt: str, *, languages: list[str] | None = None,
                     definitions: dict[str, dict] | None = None) -> dict:
    """STMT in format FMT; `canonical` uses the LRS's DEFINITIONS and keeps one language."""
    if fmt == "ids":
        return _ids_statement(stmt, top=True)
    if fmt == "canonical":
        return _canonical_statement(stmt, languages or [], definitions or {})
    return stmt


def _ids_agent(agent: dict) -> dict:
    """Only what identifies the agent or group (an anonymous group by its members)."""
    out = {k: agent[k] for k in ("objectType",) if k in agent}
    ifi = next((k for k in IFIS if k in agent), None)
    if ifi:
        out[ifi] = agent[ifi]
    elif "member" in agent:
        out["member"] = [_ids_agent(m) for m in agent["member"]]
    return out


def _ids_object(target: dict) -> dict:
    kind = target.get("objectType") or "Activity"
    if kind in ("Agent", "Group"):
        return _ids_agent(target)
    if kind == "SubStatement":
        return _ids_statement(target, top=False)
    return {"objectType": kind, "id": target["id"]}


def _ids_statement(stmt: dict, *, top: bool) -> dict:
    out = dict(stmt)
    out["actor"] = _ids_agent(stmt["actor"])
    out["verb"] = {"id": stmt["verb"]["id"]}
    out["object"] = _ids_object(stmt["object"])
    if top and "authority" in stmt:
        out["authority"] = _ids_agent(stmt["authority"])
    if "context" in stmt:
        out["context"] = _ids_context(stmt["context"])
    return out


def _ids_context(context: dict) -> dict:
    out = dict(context)
    for key in ("instructor", "team"):
        if key in context:
            out[key] = _ids_agent(context[key])
    if "contextActivities" in context:
        out["contextActivities"] = {k: [{"objectType": "Activity", "id": a["id"]} for a in v]
                                    for k, v in context["contextActivities"].items()}
    if "contextAgents" in context:
        out["contextAgents"] = [{**e, "agent": _ids_agent(e["agent"])} for e in context["contextAgents"]]
    if "contextGroups" in context:
        out["contextGroups"] = [{**e, "group": _ids_agent(e["group"])} for e in context["contextGroups"]]
    return out


def pick_language(value: dict, languages: list[str]) -> dict:
    """One entry of a language map: the first of LANGUAGES present (or a tag it prefixes), else
    "und", else the first entry (Communication §2.1.3 canonical format)."""
    if not isinstance(value, dict) or len(value) <= 1:
        return value
    lowered = {k.lower(): k for k in value}
    for lang in languages:
        lang = lang.lower()
        if lang in lowered:
            return {lowered[lang]: value[lowered[lang]]}
        for low, key in lowered.items():
            if low.split("-")[0] == lang.split("-")[0]:
                return {key: value[key]}
    key = lowered.get("und") or next(iter(value))
    return {key: value[key]}


def _canonical_statement(stmt: dict, languages: list[str], definitions: dict[str, dict]) -> dict:
    out = dict(stmt)
    if "display" in stmt["verb"]:
        out["verb"] = {**stmt["verb"], "display": pick_language(stmt["verb"]["display"], languages)}
    out["object"] = _canonical_object(stmt["object"], languages, definitions)
    ca = (stmt.get("context") or {}).get("contextActivities")
    if ca:
        out["context"] = {**stmt["context"], "contextActivities": {
            k: [_canonical_object(a, languages, definitions) for a in v] for k, v in ca.items()}}
    return out


def _canonical_object(target: dict, languages: list[str], definitions: dict[str, dict]) -> dict:
    kind = target.get("objectType") or "Activity"
    if kind == "SubStatement":
        return _canonical_statement(target, languages, definitions)
    if kind != "Activity":
        return target
    definition = definitions.get(target["id"], target.get("definition"))
    if not definition:
        return target
    definition = dict(definition)
    for key in ("name", "description"):
        if key in definition:
            definition[key] = pick_language(definition[key], languages)
    for key in COMPONENT_LISTS:
        if isinstance(definition.get(key), list):
            definition[key] = [{**c, "description": pick_language(c["description"], languages)}
                               if "description" in c else c for c in definition[key]]
    return {**target, "definition": definition}


def parse_accept_language(header: str | None) -> list[str]:
    """Accept-Language tags by preference (RFC 7231 §5.3.5), "*" dropped."""
    tags = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        tags.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(tags)]
