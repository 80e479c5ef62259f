"""The LRS viewer: an application's statements newest first, filtered by a plain GET form (agent by
e-mail or account, verb, activity, registration, since / until, related agents / activities),
paged with the LRS's own `more` cursor, each statement's JSON in a <details> panel, voided
statements marked; and the export of the same filters as one JSON array, streamed a page at a time.
Both run the query GET /lrs/{appId}/statements runs (domain/lrs/statement_query.py), never HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from coursehost.console.app_picker import choose_application
from coursehost.console.lrs_common import ADMIN
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs import statement_query as sq
from coursehost.web import read_unit, services

PAGE_SIZE = 20
TEXT_FIELDS = ("agent_email", "agent_home_page", "agent_name", "verb", "activity", "registration", "since", "until")
FLAGS = ("related_agents", "related_activities")
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
# What <input type="datetime-local"> sends: a UTC time here, without its zone.
_LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?")
# The form's words for the LRS's refusals, by the parameter the refusal names.
MESSAGES = {
    "agent_email": "Enter the agent's e-mail address (its mbox), such as learner@example.com.",
    "agent_home_page": "The account's home page must be an IRI, such as https://lms.example.com.",
    "verb": "The verb must be an IRI, such as http://adlnet.gov/expapi/verbs/completed.",
    "activity": "The activity must be an IRI (the activity's id).",
    "registration": "The registration must be a UUID.",
    "since": "Since must be a date and time (UTC).",
    "until": "Until must be a date and time (UTC).",
}


class FilterError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def form_values(params) -> dict[str, str]:
    """The filter form's fields as the query string has them."""
    values = {name: (params.get(name) or "").strip() for name in TEXT_FIELDS}
    for key in ("since", "until"):  # a UTC time in the form's own shape (lrs_params puts the Z back)
        if values[key].endswith("Z") and _LOCAL_TIME.fullmatch(values[key][:-1]):
            values[key] = values[key][:-1]
    values.update({name: "true" for name in (*FLAGS, "voided") if params.get(name) == "true"})
    return values


def lrs_params(values: dict[str, str]) -> dict[str, str]:
    """The LRS's statement-query parameters (Communication §2.1.3) the filter form stands for."""
    params: dict[str, str] = {}
    email, home, name = values.get("agent_email"), values.get("agent_home_page"), values.get("agent_name")
    if email and (home or name):
        raise FilterError("agent_email", "Give the agent's e-mail address or its account, not both.")
    if email:
        params["agent"] = json.dumps({"mbox": email if email.startswith("mailto:") else f"mailto:{email}"})
    elif home or name:
        if not (home and name):
            raise FilterError("agent_name" if home else "agent_home_page",
                              "An account needs both its home page and its name.")
        params["agent"] = json.dumps({"account": {"homePage": home, "name": name}})
    for key in ("verb", "activity", "registration"):
        if values.get(key):
            params[key] = values[key]
    for key in ("since", "until"):
        if values.get(key):
            params[key] = values[key] + "Z" if _LOCAL_TIME.fullmatch(values[key]) else values[key]
    params.update({flag: "true" for flag in FLAGS if values.get(flag) == "true"})
    return params


def _values_of(params: dict[str, str]) -> dict[str, str]:
    """The filter form's fields for the LRS parameters PARAMS (a `more` cursor's)."""
    values = {name: "" for name in TEXT_FIELDS}
    agent = json.loads(params["agent"]) if params.get("agent") else {}
    if "mbox" in agent:
        values["agent_email"] = agent["mbox"].removeprefix("mailto:")
    elif isinstance(agent.get("account"), dict):
        values["agent_home_page"] = agent["account"].get("homePage", "")
        values["agent_name"] = agent["account"].get("name", "")
    for key in ("verb", "activity", "registration", "since", "until"):
        values[key] = params.get(key, "")
    for key in ("since", "until"):
        if values[key].endswith("Z") and _LOCAL_TIME.fullmatch(values[key][:-1]):
            values[key] = values[key][:-1]
    values.update({flag: "true" for flag in FLAGS if params.get(flag) == "true"})
    return values


def parse_filters(values: dict[str, str], *, version: str, limit: int = 0) -> sq.StatementQuery:
    """The LRS's query for the form VALUES; FilterError names the field it refuses."""
    params = lrs_params(values)
    if limit:
        params["limit"] = str(limit)
    try:
        return sq.parse_query(params, version=version)
    except InvalidInput as exc:
        text = str(exc)
        name = re.split(r"[ .:]", text, maxsplit=1)[0]
        if name == "agent":
            field = "agent_home_page" if ".account" in text else "agent_email"
            raise FilterError(field, MESSAGES[field]) from None
        raise FilterError(name if name in MESSAGES else "form", MESSAGES.get(name, text)) from None


def _text(language_map) -> str | None:
    """One value of an xAPI language map (en-US or en preferred)."""
    if not isinstance(language_map, dict) or not language_map:
        return None
    return language_map.get("en-US") or language_map.get("en") or next(iter(language_map.values()))


def _agent(agent) -> str:
    if not isinstance(agent, dict):
        return "(unknown)"
    account = agent.get("account") if isinstance(agent.get("account"), dict) else None
    ifi = (agent.get("mbox", "").removeprefix("mailto:") or (account and f"{account.get('name')} at "
           f"{account.get('homePage')}") or agent.get("openid") or
           (agent.get("mbox_sha1sum") and f"mbox SHA-1 {agent['mbox_sha1sum'][:12]}…"))
    if not ifi and agent.get("objectType") == "Group":
        ifi = f"a group of {len(agent.get('member') or [])}"
    name = agent.get("name")
    return f"{name} ({ifi})" if name and ifi else name or ifi or "(anonymous)"


def _object(target) -> str:
    if not isinstance(target, dict):
        return "(unknown)"
    kind = target.get("objectType") or "Activity"
    if kind in ("Agent", "Group"):
        return _agent(target)
    if kind == "StatementRef":
        return f"statement {target.get('id')}"
    if kind == "SubStatement":
        return "a sub-statement"
    return _text((target.get("definition") or {}).get("name")) or target.get("id") or "(unknown)"


def _result(result) -> str:
    if not isinstance(result, dict):
        return ""
    words = []
    if "success" in result:
        words.append("passed" if result["success"] else "failed")
    if result.get("completion"):
        words.append("completed")
    scaled = (result.get("score") or {}).get("scaled")
    if isinstance(scaled, int | float):
        words.append(f"score {scaled * 100:g}%")
    return ", ".join(words)


def summary(statement: dict, voided: bool) -> dict:
    """What the viewer shows of one statement (its full JSON in the panel)."""
    verb = statement.get("verb") or {}
    target = statement.get("object") or {}
    return {"id": statement.get("id"), "actor": _agent(statement.get("actor")),
            "verb": _text(verb.get("display")) or verb.get("id", ""), "verb_id": verb.get("id", ""),
            "object": _object(target), "result": _result(statement.get("result")),
            "stored": statement.get("stored"), "timestamp": statement.get("timestamp"),
            "registration": (statement.get("context") or {}).get("registration"), "voided": voided,
            "voids": target.get("id") if verb.get("id") == VOIDED_VERB else None,
            "json": json.dumps(statement, indent=2, ensure_ascii=False)}


def _link(path: str, app_id: str, values: dict[str, str], **extra: str) -> str:
    query = {"app": app_id, **{k: v for k, v in values.items() if v}, **extra}
    return f"{path}?{urlencode(query)}"


def json_array(pages: Iterable[list[dict]]) -> Iterator[bytes]:
    """PAGES' statements as one JSON array, a chunk per page."""
    yield b"["
    first = True
    for page in pages:
        chunk = ",".join(json.dumps(s, ensure_ascii=False, separators=(",", ":")) for s in page)
        yield (chunk if first else "," + chunk).encode("utf-8")
        first = False
    yield b"]"


def build_statements_router() -> APIRouter:  # noqa: C901 - the two routes and their helpers
    router = APIRouter(include_in_schema=False)

    @router.get("/lrs/statements")
    def statements(request: Request, me: SignedIn = ADMIN):
        params = request.query_params
        version = services(request).settings.lrs_latest_version
        include_voided = params.get("voided") == "true"
        errors: dict[str, str] = {}
        rows, next_link = [], None
        with read_unit(request) as session:
            chosen = choose_application(session, me, params.get("app"))
            values = form_values(params)
            try:
                if params.get("more"):
                    query = sq.decode_more(params["more"], version=version)
                    values = {**_values_of(query.params), **({"voided": "true"} if include_voided else {})}
                else:
                    query = parse_filters(values, version=version, limit=PAGE_SIZE)
            except FilterError as exc:
                errors[exc.field] = str(exc)
            except InvalidInput:
                errors["form"] = "This page link is not valid any more; show the statements again."
            if not errors:
                found, more, _ = sq.find_statements(session, app_pk=chosen.app.pk, query=query, credential_id=None,
                                                    reads_all=True, include_voided=include_voided)
                definitions = sq.canonical_definitions(session, app_pk=chosen.app.pk, statements=found) \
                    if query.format == "canonical" else {}
                shown = sq.present(found, query, languages=[], definitions=definitions)
                voided = sq.voided_among(session, app_pk=chosen.app.pk,
                                         statement_ids=[s["id"] for s in found]) if include_voided else set()
                rows = [summary(s, s.get("id") in voided) for s in shown]
                if more:
                    next_link = _link("/console/lrs/statements", chosen.app_id, {}, more=sq.encode_more(query, more),
                                      **({"voided": "true"} if include_voided else {}))
        filters = {k: v for k, v in values.items() if k != "form"}
        return render(request, "lrs/statements.html", me=me, status=400 if errors else 200, title="LRS viewer",
                      picker=chosen, app_id=chosen.app_id, values=values, errors=errors, rows=rows,
                      next_link=next_link, paged=bool(params.get("more")),
                      first_link=_link("/console/lrs/statements", chosen.app_id, filters),
                      export_link=_link("/console/lrs/statements.json", chosen.app_id, filters))

    @router.get("/lrs/statements.json")
    def export(request: Request, me: SignedIn = ADMIN):
        params = request.query_params
        svc = services(request)
        with read_unit(request) as session:
            chosen = choose_application(session, me, params.get("app"))
            app_pk, app_id = chosen.app.pk, chosen.app_id
        try:
            query = parse_filters(form_values(params), version=svc.settings.lrs_latest_version)
        except FilterError as exc:
            raise ConsolePageError(400, "These statements cannot be exported", str(exc), me=me) from None
        pages = sq.statement_pages(svc.read_session_factory, app_pk=app_pk, query=query,
                                   include_voided=params.get("voided") == "true")
        return StreamingResponse(json_array(pages), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="statements-{app_id}.json"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    return router
