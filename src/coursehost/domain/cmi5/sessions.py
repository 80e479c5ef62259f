"""An AU session on the LRS: its facts from the statements already stored, the rules applied to a
write, and what a write that counts changes (cmi5 §9.3, §10)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Launch
from coursehost.domain.cmi5 import rules
from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import AUTH_PREFIX, OPTION, Cmi5Session


def facts(session: Session, sess: Cmi5Session) -> rules.Facts:
    """What this session and the registration's earlier sessions have stated (voided ones do not count)."""
    rows = session.execute(select(XapiStatement.verb_id, XapiStatement.credential_id).where(
        XapiStatement.application_pk == sess.app_pk, XapiStatement.registration == sess.registration,
        XapiStatement.object_key == sess.activity_id, XapiStatement.voided.is_(False),
        XapiStatement.verb_id.in_(sorted(v.AU_VERBS)))).all()
    mine = AUTH_PREFIX + sess.launch_id
    here = {verb for verb, cred in rows if cred == mine}
    everywhere = {verb for verb, cred in rows if cred is not None and cred.startswith(AUTH_PREFIX)}
    options = session.scalars(select(Launch.options).where(Launch.launch_id == sess.launch_id)).first() or {}
    return rules.Facts(initialized=v.INITIALIZED in here, terminated=v.TERMINATED in here,
                       completed=v.COMPLETED in everywhere, passed=v.PASSED in everywhere,
                       failed=v.FAILED in everywhere, verdict_here=bool(here & {v.PASSED, v.FAILED}),
                       preferences_read=bool((options.get(OPTION) or {}).get("preferences")))


def preferences_read(session: Session, sess: Cmi5Session) -> None:
    """The AU of SESS has read its learner preferences (§11.0): initialized may follow."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == sess.launch_id).with_for_update()).first()
    data = (launch.options or {}).get(OPTION) if launch is not None else None
    if data and not data.get("preferences"):
        launch.options = {**launch.options, OPTION: {**data, "preferences": True}}
        session.flush()


def check_statements(session: Session, sess: Cmi5Session, body: object) -> list[dict]:
    """The statements of a write BODY that pass the rules, in order; Forbidden for the first that
    breaks one, so nothing of the batch is stored (xAPI: a batch is stored whole or not at all)."""
    statements = body if isinstance(body, list) else [body]
    if not all(isinstance(s, dict) for s in statements):
        return []  # not statements at all: the LRS's own validation answers 400
    # A statement sent again after a lost answer is a no-op for the LRS (xAPI Communication §2.1.2),
    # so it neither meets the rules again nor counts twice.
    ids = [s["id"] for s in statements if isinstance(s.get("id"), str)]
    known = set(session.scalars(select(XapiStatement.statement_id).where(
        XapiStatement.application_pk == sess.app_pk, XapiStatement.statement_id.in_(ids)))) if ids else set()
    fresh = [s for s in statements if s.get("id") not in known]
    current = facts(session, sess)
    for stmt in fresh:
        current = rules.check(stmt, sess, current)
    return fresh

