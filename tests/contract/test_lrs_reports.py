"""The LRS seen from two kinds of clients on a live server: the `tincan` package (TinCanPython)
saves, pages and queries statements; the official client reads a registration's and a course's
statements (RegistrationApi / CourseApi xAPIStatements) back out of the same LRS."""

from __future__ import annotations

import uuid

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    Statement,
    Verb,
)

from tests.contract.registrations import reg_app

PASSED = "http://adlnet.gov/expapi/verbs/passed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


@pytest.fixture
def app(live_server, tmp_path):
    return reg_app(live_server, tmp_path)


def remote_lrs(app) -> RemoteLRS:
    return RemoteLRS(endpoint=f"{app.live_server.base_url}/lrs/{app.creds.app_id}/", version="1.0.1",
                     username=app.creds.app_id, password=app.creds.secret)


def tincan_statement(learner: str, verb: str, registration: str | None, n: int) -> Statement:
    return Statement(
        actor=Agent(name=learner, mbox=f"mailto:{learner}@example.com"),
        verb=Verb(id=verb, display=LanguageMap({"en-US": verb.rsplit("/", 1)[-1]})),
        object=Activity(id=f"http://example.com/course/page/{n}",
                        definition=ActivityDefinition(name=LanguageMap({"en-US": f"Page {n}"}))),
        result=Result(score=Score(scaled=round((n % 100) / 100, 2)), success=True, completion=True),
        context=Context(registration=registration) if registration else None,
    )


def test_tincan_saves_pages_and_queries_statements(app):
    lrs = remote_lrs(app)
    learner = f"l{uuid.uuid4().hex[:8]}"
    registration = str(uuid.uuid4())
    saved = lrs.save_statements([tincan_statement(learner, EXPERIENCED, registration, n) for n in range(120)])
    assert saved.success, saved.data
    one = lrs.save_statement(tincan_statement(learner, PASSED, registration, 999))
    assert one.success, one.data
    got = lrs.retrieve_statement(str(one.content.id))
    assert got.success and got.content.verb.id == PASSED and got.content.result.success is True

    page = lrs.query_statements({"registration": registration, "verb": Verb(id=EXPERIENCED), "limit": 50})
    assert page.success, page.data
    seen = [str(s.id) for s in page.content.statements]
    while page.content.more:
        page = lrs.more_statements(page.content)
        assert page.success, page.data
        seen += [str(s.id) for s in page.content.statements]
    assert len(seen) == 120 and len(set(seen)) == 120
    mine = lrs.query_statements({"agent": Agent(mbox=f"mailto:{learner}@example.com"), "verb": Verb(id=PASSED)})
    assert [str(s.id) for s in mine.content.statements] == [str(one.content.id)]


def test_registration_and_course_statements_through_the_official_client(app):
    lrs = remote_lrs(app)
    reg_a, reg_b = app.create(learner_id="ada"), app.create(learner_id="bob")
    xapi_a = app.regs.get_registration_progress(reg_a).xapi_registration_id
    xapi_b = app.regs.get_registration_progress(reg_b).xapi_registration_id
    assert lrs.save_statements([tincan_statement("ada", EXPERIENCED, xapi_a, n) for n in range(105)]).success
    assert lrs.save_statements([tincan_statement("bob", PASSED, xapi_b, n) for n in range(3)]).success
    assert lrs.save_statement(tincan_statement("eve", PASSED, str(uuid.uuid4()), 1)).success  # no registration of ours

    result = app.regs.get_registration_statements(reg_a)
    assert isinstance(result, cloud.XapiStatementResult) and len(result.statements) == 100 and result.more
    rest = app.regs.get_registration_statements(reg_a, more=result.more)
    assert len(rest.statements) == 5 and not rest.more
    ids = {s.id for s in result.statements} | {s.id for s in rest.statements}
    assert len(ids) == 105
    assert len(app.regs.get_registration_instance_statements(reg_b, 0).statements) == 3

    course = app.courses.get_course_statements(app.course12)
    assert len(course.statements) == 100 and course.more
    assert len(app.courses.get_course_statements(app.course12, learner_id="bob").statements) == 3
    assert len(app.courses.get_course_version_statements(app.course12, 0, learner_id="bob").statements) == 3
    later = app.regs.get_registration_statements(reg_b, since="2999-01-01T00:00:00Z")
    assert later.statements == []


def test_statement_reports_refuse_a_bad_more_token_and_unknown_courses(app):
    reg = app.create()
    with pytest.raises(ApiException) as bad:
        app.regs.get_registration_statements(reg, more="not-a-token")
    assert bad.value.status == 400
    with pytest.raises(ApiException) as missing:
        app.courses.get_course_statements("no-such-course")
    assert missing.value.status == 404
