"""The report queries agree with what the official client's GetRegistrationProgress says for the same
registrations: created, given results, reset and deleted through RegistrationApi on a live server."""

from __future__ import annotations

import statistics

import pytest
import rustici_software_cloud_v2 as cloud
from sqlalchemy import select

from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.reports import queries
from coursehost.domain.reports.filters import ReportFilter
from tests.contract.registrations import reg_app

STATES = {  # registration id -> (completion, success, scaled score, seconds, learner)
    "x-passed": ("COMPLETED", "PASSED", 90, 600, "ann"),
    "x-failed": ("COMPLETED", "FAILED", 35, 1500, "bob"),
    "x-going": ("INCOMPLETE", "UNKNOWN", None, 240, "cid"),
    "x-new": ("UNKNOWN", "UNKNOWN", None, 0, "dan"),
    "x-reset": ("COMPLETED", "PASSED", 100, 3600, "eve"),
    "x-gone": ("COMPLETED", "PASSED", 70, 60, "fay"),
}


@pytest.fixture(scope="module")
def app(live_server, tmp_path_factory):
    app = reg_app(live_server, tmp_path_factory.mktemp("reports"))
    for reg_id, (completion, success, score, seconds, learner) in STATES.items():
        state = cloud.RegistrationSchema(registration_completion=completion, registration_success=success,
                                         total_seconds_tracked=seconds,
                                         score=cloud.ScoreSchema(scaled=score) if score is not None else None)
        app.create(reg_id, learner_id=learner, initial_registration_state=state)
    app.regs.delete_registration_progress("x-reset")
    app.regs.delete_registration("x-gone")
    return app


def _overview(app, **narrow) -> queries.Overview:
    with unit_of_work(app.live_server.services.session_factory) as session:
        pk = session.scalar(select(Application.pk).where(Application.app_id == app.creds.app_id))
        return queries.overview(session, ReportFilter.last_days(pk, **narrow))


def test_overview_matches_get_registration_progress(app):
    progress = [app.regs.get_registration_progress(reg_id) for reg_id in STATES if reg_id != "x-gone"]
    completions = [p.registration_completion for p in progress]
    successes = [p.registration_success for p in progress]
    scores = [p.score.scaled for p in progress if p.score is not None and p.score.scaled is not None]
    seconds = [p.total_seconds_tracked for p in progress if p.total_seconds_tracked]
    o = _overview(app)
    assert o.registered == len(progress) == 5
    assert o.completed == completions.count("COMPLETED") == 2
    assert (o.passed, o.failed) == (successes.count("PASSED"), successes.count("FAILED")) == (1, 1)
    assert o.average_score == pytest.approx(statistics.mean(scores))
    assert o.total_seconds == pytest.approx(sum(seconds))
    assert o.median_seconds == pytest.approx(statistics.median(seconds))
    assert o.completion_rate == pytest.approx(2 / 5) and o.pass_rate == pytest.approx(1 / 2)


def test_one_learner_and_one_course_match_too(app):
    ann = app.regs.get_registration_progress("x-passed")
    o = _overview(app, learner_id="ann")
    assert (o.registered, o.passed, o.average_score, o.total_seconds) == (1, 1, ann.score.scaled,
                                                                           ann.total_seconds_tracked)
    assert _overview(app, course_id=app.course12).registered == 5
    assert _overview(app, learner_id="fay").registered == 0  # deleted
