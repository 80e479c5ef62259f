"""cmi5 AUs on the LRS: the auth token from the fetch URL as a Basic credential, opening only that
AU session's data (cmi5 §8.2.2), and the statement rules on what it writes (§9.3): a statement
that breaks one is answered 403 with the reason and not stored."""

from __future__ import annotations

import re
from collections.abc import Callable

from coursehost.db.session import unit_of_work
from coursehost.domain.cmi5 import journal, launch, results, sessions
from coursehost.domain.errors import DomainError, Forbidden
from coursehost.domain.lrs.validation import agent_key
from coursehost.lrs_http.request import AFTER_STORE, LrsPrincipal, XapiRequest
from coursehost.web import json_input
from coursehost.web.json_input import JsonSyntaxError

PREFIX = launch.AUTH_PREFIX
# What an AU session may touch besides statements: its State, its learner's profile, and reads.
READ_ONLY = {"activities", "activities/profile", "agents", "about"}
# RFC 5646 in outline: a 2-3 (or 4-8) letter language subtag, then subtags of 1-8 letters or digits.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def principal(services, *, app_id: str, user: str, secret: str, base_url: str) -> LrsPrincipal | None:
    """The principal an AU's auth token (Basic USER:SECRET) stands for, or None (401)."""
    with unit_of_work(services.read_session_factory) as session:
        app_pk = launch.application_pk(session, app_id=app_id)
        sess = None if app_pk is None else launch.authenticate(session, app_pk=app_pk, user=user, secret=secret)
    if sess is None:
        return None
    authority = {"objectType": "Agent", "account": {"homePage": f"{base_url}/lrs/{app_id}", "name": user}}
    return LrsPrincipal(sess.app_pk, app_id, user, "USER", authority, cmi5=sess)


def _agent_param(request: XapiRequest) -> str | None:
    try:
        agent = json_input.loads(request.params.get("agent") or "null", what="agent parameter")
    except JsonSyntaxError:
        return None
    return agent_key(agent) if isinstance(agent, dict) else None


def _check_scope(request: XapiRequest, sess: launch.Cmi5Session) -> None:
    """§8.2.2: the token is for this AU session: its State, its learner's profile, statements, reads."""
    resource, method = request.resource, request.method
    if resource == "statements":
        return
    if method in ("GET", "HEAD") and resource in READ_ONLY:
        return
    if resource in ("activities/state", "agents/profile") and "agent" not in request.params:
        return  # a request xAPI itself refuses (400, agent is required): the LRS's answer, not ours
    mine = _agent_param(request) == agent_key(sess.actor)
    if resource == "activities/state" and mine and request.params.get("activityId") == sess.activity_id \
            and request.params.get("registration") == sess.registration:
        if method not in ("GET", "HEAD") and request.params.get("stateId") in (None, launch.LAUNCH_DATA):
            raise Forbidden("cmi5: LMS.LaunchData is the LMS's; an AU must not change it (§10)")
        return
    if resource == "agents/profile" and mine:
        if method in ("PUT", "POST") and request.params.get("profileId") == launch.PREFERENCES:
            _check_preferences(request)
        return
    raise Forbidden("cmi5: this auth token opens only its own AU session's data (§8.2.2)")


def _check_preferences(request: XapiRequest) -> None:
    """§11: what an AU writes as learner preferences is a JSON object with languagePreference (a
    comma-separated list of RFC 5646 tags) and audioPreference ("on" or "off")."""
    if request.content_type != "application/json":
        raise Forbidden("cmi5: the learner preferences are a JSON document (application/json) (§11.0)")
    try:
        prefs = json_input.loads(request.body, what="learner preferences")
    except JsonSyntaxError:
        prefs = None
    if not isinstance(prefs, dict) or "languagePreference" not in prefs or "audioPreference" not in prefs:
        raise Forbidden("cmi5: the learner preferences are a JSON object with languagePreference and "
                        "audioPreference (§11.0)")
    language = prefs["languagePreference"]
    if not isinstance(language, str) or not all(_LANGUAGE_TAG.match(tag.strip()) for tag in language.split(",")):
        raise Forbidden("cmi5: languagePreference is a comma-separated list of RFC 5646 language tags (§11.1)")
    if prefs["audioPreference"] not in ("on", "off"):
        raise Forbidden('cmi5: audioPreference is "on" or "off" (§11.2)')


def _check_statements(request: XapiRequest, services, sess: launch.Cmi5Session) -> list[dict]:
    """The statements of a write, each within the rules (Forbidden for the first that is not)."""
    if request.resource != "statements" or request.method not in ("POST", "PUT"):
        return []
    if request.content_type != "application/json":
        raise Forbidden("cmi5: an AU sends its statements as application/json")
    body = request.json()
    if request.method == "PUT" and isinstance(body, dict) and "id" not in body and request.params.get("statementId"):
        body = {**body, "id": request.params["statementId"]}  # xAPI: the id a PUT names
    with unit_of_work(services.read_session_factory) as session:
        return sessions.check_statements(session, sess, body)


def _log_refused(request: XapiRequest, services, sess: launch.Cmi5Session, reason: str) -> None:
    """A refused write goes to the launch's debug log too (its own transaction: the write's is lost)."""
    try:
        body = request.json()
    except DomainError:
        body = []
    with unit_of_work(services.session_factory) as session:
        journal.log(session, launch_id=sess.launch_id, entries=journal.statement_entries(
            body if isinstance(body, list) else [body], activity_id=sess.activity_id, result="403", message=reason))


def wrap(handler: Callable, principal: LrsPrincipal | None) -> Callable:
    """HANDLER, guarded by the cmi5 rules when PRINCIPAL is an AU session's token."""
    sess = principal.cmi5 if principal is not None else None
    if sess is None:
        return handler

    def guarded(request: XapiRequest, services):
        _check_scope(request, sess)
        try:
            statements = _check_statements(request, services, sess)
        except Forbidden as exc:
            _log_refused(request, services, sess, str(exc))
            raise
        if statements:  # recorded in the write's own transaction, once the statements are stored
            request.extra[AFTER_STORE] = lambda session: results.record(session, sess, statements,
                                                                        base_url=request.base_url)
        answer = handler(request, services)
        if request.resource == "agents/profile" and request.method == "GET" and answer.status == 200 \
                and request.params.get("profileId") == launch.PREFERENCES:
            with unit_of_work(services.session_factory) as session:
                sessions.preferences_read(session, sess)
        return answer
    return guarded
