"""The daily xAPI statement counts (report_xapi_*) the LRS keeps in the transaction that stores
statements equal a direct count over xapi_statement, through batches, voiding, registrations of two
courses, a sandbox one, none, one created after its statements and one deleted (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Registration
from coursehost.db.models.reports import ReportXapiActivityDay, ReportXapiActorDay, ReportXapiVerbDay
from coursehost.domain.lrs import statement_counts
from coursehost.domain.lrs.statements import Writer, store_statements
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reports import xapi_stats
from coursehost.domain.reports.filters import ReportFilter
from tests.unit.test_reports_summary import make_app, make_course, register

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def stmt(verb: str, obj: str, registration: str | None, actor: str | None, *, agent_object: bool = False) -> dict:
    out = {"id": str(uuid.uuid4()), "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
           "object": ({"objectType": "Agent", "mbox": f"mailto:{obj}@example.com"} if agent_object
                      else {"id": f"urn:act:{obj}"})}
    # an anonymous group (no actor key) when ACTOR is None
    out["actor"] = ({"mbox": f"mailto:{actor}@example.com"} if actor else
                    {"objectType": "Group", "member": [{"mbox": "mailto:m1@example.com"}]})
    if registration:
        out["context"] = {"registration": registration}
    return out


def direct(session, app_pk: int, course_id: str | None) -> tuple[Counter, Counter, dict]:
    """The oracle: statements per (day, verb), per (day, activity) and actors per activity, counted in
    Python from xapi_statement and registration as the statistics joined them before the summary."""
    regs = session.execute(select(Registration.xapi_registration_id, Registration.course_id, Registration.sandbox)
                           .where(Registration.application_pk == app_pk)).all()
    sandbox = {x.lower() for x, _, sb in regs if sb}
    of_course = {x.lower() for x, c, sb in regs if not sb and c == course_id}
    verbs, activities, actors = Counter(), Counter(), defaultdict(set)
    for stored, verb, otype, okey, actor, reg, voided in session.execute(
            select(XapiStatement.stored, XapiStatement.verb_id, XapiStatement.object_type, XapiStatement.object_key,
                   XapiStatement.actor_key, XapiStatement.registration, XapiStatement.voided)
            .where(XapiStatement.application_pk == app_pk)):
        if voided:
            continue
        if course_id is not None and reg not in of_course:
            continue
        if course_id is None and reg is not None and reg in sandbox:
            continue
        day = stored.astimezone(UTC).date()
        verbs[(day, verb)] += 1
        if otype == "Activity":
            activities[(day, okey)] += 1
            if actor is not None:
                actors[okey].add(actor)
            else:
                actors.setdefault(okey, set())
    return verbs, activities, {k: len(v) for k, v in actors.items()}


def assert_summary_is_direct(session, app_pk: int, course_id: str | None) -> None:
    flt = ReportFilter.last_days(app_pk, today=TODAY, course_id=course_id)
    verbs, activities, actors = direct(session, app_pk, course_id)
    assert {(v.day, v.verb_id): v.statements for v in xapi_stats.statements_per_verb(session, flt)} == verbs
    assert {(a.day, a.activity_id): a.statements
            for a in xapi_stats.statements_per_activity_per_day(session, flt)} == activities
    totals = Counter()
    for (_, key), n in activities.items():
        totals[key] += n
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    got = xapi_stats.statements_per_activity(session, flt)
    assert [(a.activity_id, a.statements, a.actors) for a in got] == [(k, totals[k], actors[k]) for k in ranked]
    top2 = xapi_stats.statements_per_activity(session, flt, limit=2)
    assert [a.activity_id for a in top2] == ranked[:2]


def snapshot(session, app_pk: int) -> set:
    out = set()
    for model in (ReportXapiVerbDay, ReportXapiActivityDay, ReportXapiActorDay):
        for row in session.scalars(select(model).where(model.application_pk == app_pk, model.n != 0)):
            out.add((model.__tablename__, *(getattr(row, c.name) for c in model.__table__.columns)))
    return out


def test_the_counts_equal_a_direct_count_after_statements_arrive_through_the_lrs(db_session):
    app = make_app(db_session)
    make_course(db_session, app, "math")
    make_course(db_session, app, "art")
    ann = register(db_session, app, "math", "ann", "x-ann").xapi_registration_id
    bob = register(db_session, app, "math", "bob", "x-bob").xapi_registration_id
    art = register(db_session, app, "art", "ann", "x-art").xapi_registration_id
    box = register(db_session, app, "math", "sam", "x-sandbox", sandbox=True).xapi_registration_id
    doomed = register(db_session, app, "art", "dan", "x-doomed")
    late = str(uuid.uuid4())  # named by statements before its registration exists
    writer = Writer(app_pk=app.pk, credential_id=None, authority={"mbox": "mailto:lrs@example.com"})
    other = make_app(db_session)
    make_course(db_session, other, "math")

    def store(at: datetime, *stmts: dict, to: Writer = writer) -> list[str]:
        return store_statements(db_session, writer=to, body=list(stmts), version="1.0.3", now=at)

    yesterday = NOW - timedelta(days=1)
    first = store(yesterday,
                  stmt("attempted", "m1", ann, "ann"), stmt("answered", "m1/q1", ann, "ann"),
                  stmt("answered", "m1/q1", bob, "bob"), stmt("answered", "m1/q1", bob, "bob"),
                  stmt("answered", "m1/q1", box, "sam"),           # sandbox: never counted
                  stmt("experienced", "a1", art, "ann"),
                  stmt("experienced", "loose", None, "eve"),      # no registration
                  stmt("experienced", "loose", str(uuid.uuid4()), "eve"),  # a registration nobody has
                  stmt("interacted", "m1", ann, None),              # anonymous group: no actor key
                  stmt("mentored", "bob", ann, "ann", agent_object=True),  # not an activity
                  stmt("attempted", "a1", late, "lee"), stmt("attempted", "a1", doomed.xapi_registration_id, "dan"))
    store(yesterday, stmt("answered", "m1/q1", ann, "ann"), to=Writer(app_pk=other.pk, credential_id=None,
                                                                        authority=writer.authority))
    for course in ("math", "art", None):
        assert_summary_is_direct(db_session, app.pk, course)

    # a second batch today, voiding one of yesterday's statements and one of its own
    own = stmt("completed", "m1", ann, "ann")
    store(NOW, own, stmt("passed", "m1", ann, "ann"), stmt("answered", "m1/q2", bob, "bob"),
          stmt("voided", first[2], bob, "bob") | {"object": {"objectType": "StatementRef", "id": first[2]}},
          stmt("voided", own["id"], ann, "ann") | {"object": {"objectType": "StatementRef", "id": own["id"]}})
    # a voiding statement before its target, and voiding the voided again (nothing more leaves)
    target = stmt("answered", "m1/q3", ann, "ann")
    store(NOW, stmt("voided", "x", ann, "ann") | {"object": {"objectType": "StatementRef", "id": target["id"]}})
    store(NOW, target)
    store(NOW, stmt("voided", "x", ann, "ann") | {"object": {"objectType": "StatementRef", "id": first[2]}})
    store(NOW, stmt("answered", "m1/q1", bob, "bob"))  # the same statement id again is a no-op below
    again = stmt("answered", "m1/q9", bob, "bob")
    store(NOW, again)
    store(NOW, again)
    for course in ("math", "art", None):
        assert_summary_is_direct(db_session, app.pk, course)

    # the late registration arrives (its statements move to art); the doomed one leaves (to no course)
    core.create_registration(db_session, application_pk=app.pk, registration_id="x-late", course_id="art",
                             learner={"id": "lee"}, xapi_registration_id=late)
    lifecycle.delete_registration(db_session, registration=doomed)
    db_session.flush()
    for course in ("math", "art", None):
        assert_summary_is_direct(db_session, app.pk, course)
    assert_summary_is_direct(db_session, other.pk, "math")

    # the rebuild (migration, `coursehost reports rebuild`) writes the rows the store wrote
    kept = snapshot(db_session, app.pk)
    statement_counts.rebuild(db_session.connection(), application_pk=app.pk)
    db_session.expire_all()
    assert snapshot(db_session, app.pk) == kept
    assert statement_counts.count_statements(db_session, app_pk=app.pk) == sum(
        direct(db_session, app.pk, None)[0].values())
