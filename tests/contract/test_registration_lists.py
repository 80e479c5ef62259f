"""GetRegistrations paging and filters; instances; launch history; progress reset; global data."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.builders.scorm import scorm12_zip
from tests.contract.courses import upload
from tests.contract.registrations import (
    SCOS,
    activity_count,
    add_launch,
    reg_app,
    write_activity_state,
    write_instance_state,
)


@pytest.fixture
def app(live_server, tmp_path):
    return reg_app(live_server, tmp_path, with_2004=True)


def _all_pages(regs, **kw) -> list[str]:
    page = regs.get_registrations(**kw)
    ids = [r.id for r in page.registrations]
    while page.more:
        page = regs.get_registrations(more=page.more)
        ids += [r.id for r in page.registrations]
    return ids


def test_paging_filters_and_total_count(app):
    created = []
    for n in range(12):  # the live server pages by 10
        course = app.course12 if n % 2 == 0 else app.course2004
        learner = cloud.LearnerSchema(id=f"learner-{n % 3}", first_name="Grace" if n == 5 else "Ada",
                                      last_name="Hopper" if n == 5 else "Lovelace")
        created.append(app.create(f"reg-{n:02d}", course_id=course, learner=learner,
                                  registration_tags=["even"] if n % 2 == 0 else ["odd"]))
    first = app.regs.get_registrations_with_http_info(include_total_count=True)
    assert first[2]["X-Total-Count"] == "12" and len(first[0].registrations) == 10 and first[0].more
    assert all(isinstance(r, cloud.RegistrationSchema) for r in first[0].registrations)
    assert _all_pages(app.regs) == list(reversed(created))  # created_desc by default
    assert _all_pages(app.regs, order_by="created_asc") == created
    assert _all_pages(app.regs, course_id=app.course2004) == [c for i, c in enumerate(created) if i % 2][::-1]
    assert sorted(_all_pages(app.regs, learner_id="learner-1")) == ["reg-01", "reg-04", "reg-07", "reg-10"]
    assert sorted(_all_pages(app.regs, tags=["odd"])) == [c for i, c in enumerate(created) if i % 2]
    assert _all_pages(app.regs, filter="grace", filter_by="learner_first_name") == ["reg-05"]
    assert _all_pages(app.regs, filter="hop", filter_by="learner_last_name") == ["reg-05"]
    assert _all_pages(app.regs, filter="reg-1", filter_by="registration_id", order_by="created_asc") == \
        ["reg-10", "reg-11"]
    assert len(_all_pages(app.regs, filter="learner-2", filter_by="learner_id")) == 4
    assert len(_all_pages(app.regs, filter=app.course2004, filter_by="course_id")) == 6
    future = datetime.now(UTC) + timedelta(hours=1)
    assert app.regs.get_registrations(since=future).registrations == []
    assert len(_all_pages(app.regs, until=future, datetime_filter="created")) == 12
    with_children = app.regs.get_registrations(course_id=app.course12, include_child_results=True,
                                               include_runtime=True)
    assert [c.id for c in with_children.registrations[0].activity_details.children] == ["s1", "s2"]
    for bad in ({"order_by": "title_sideways"}, {"filter_by": "shoe_size", "filter": "x"},
                {"datetime_filter": "someday"}, {"more": "forged"}, {"more": first[0].more, "course_id": "x"}):
        with pytest.raises(ApiException) as err:
            app.regs.get_registrations(**bad)
        assert err.value.status == 400, bad
    assert app.http().get("/registrations", params={"since": "yesterday"}).status_code == 400
    assert app.http().get("/registrations", params={"includeRuntime": "maybe"}).status_code == 400


def test_instances(app):
    reg_id = app.create(course_id=app.course12)
    write_activity_state(app, reg_id, "s1", completion="COMPLETED", total_seconds=30.0)
    app.regs.create_new_registration_instance(reg_id)
    current = app.regs.get_registration_progress(reg_id, include_child_results=True)
    assert current.instance == 1 and current.registration_completion == "UNKNOWN"
    assert current.activity_details.children[0].attempts == 0
    listed = app.regs.get_registration_instances(reg_id, include_child_results=True)
    assert isinstance(listed, cloud.RegistrationListSchema)
    assert [r.instance for r in listed.registrations] == [0, 1]
    assert listed.registrations[0].registration_completion == "COMPLETED"
    old = app.regs.get_registration_instance_progress(reg_id, 0, include_child_results=True)
    assert old.instance == 0 and old.activity_details.children[0].activity_completion == "COMPLETED"
    future = datetime.now(UTC) + timedelta(hours=1)
    assert app.regs.get_registration_instances(reg_id, since=future).registrations == []
    with pytest.raises(ApiException) as err:
        app.regs.delete_registration_instance(reg_id, 1)  # the current one
    assert err.value.status == 400
    app.regs.delete_registration_instance(reg_id, 0)
    assert [r.instance for r in app.regs.get_registration_instances(reg_id).registrations] == [1]
    for call in (lambda: app.regs.get_registration_instance_progress(reg_id, 0),
                 lambda: app.regs.delete_registration_instance(reg_id, 0),
                 lambda: app.regs.get_registration_instances("ghost"),
                 lambda: app.regs.create_new_registration_instance("ghost")):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404


def test_new_instance_and_progress_reset_move_to_the_latest_version(app, tmp_path):
    reg_id = app.create(course_id=app.course12)
    write_activity_state(app, reg_id, "s1", completion="COMPLETED", success="PASSED", score_scaled=75.0,
                         runtime={"core": {"lesson_status": "passed", "exit": "suspend"}})
    status = upload(app.courses, tmp_path, scorm12_zip("Registration course v1", scos=SCOS + [("s3", "Three",
                                                                                                 "three.html")]),
                    course_id=app.course12, may_create_new_version=True)
    assert status.status == "COMPLETE", status.message
    assert app.regs.get_registration_progress(reg_id).course.version == 0
    app.regs.delete_registration_progress(reg_id)
    progress = app.regs.get_registration_progress(reg_id, include_child_results=True)
    assert (progress.course.version, progress.instance, progress.registration_completion) == (1, 0, "UNKNOWN")
    assert [c.id for c in progress.activity_details.children] == ["s1", "s2", "s3"]
    assert progress.activity_details.children[0].suspended is False and activity_count(app, reg_id) == 0
    other = app.create(course_id=app.course12, course_version=0)
    assert app.regs.get_registration_progress(other).course.version == 0
    app.regs.create_new_registration_instance(other)
    progress = app.regs.get_registration_progress(other)
    assert (progress.instance, progress.course.version) == (1, 1)
    with pytest.raises(ApiException) as err:
        app.regs.delete_registration_progress("ghost")
    assert err.value.status == 404


def test_launch_history(app):
    reg_id = app.create()
    first = add_launch(app, reg_id, log=[{"event": "launch"}, {"type": "runtime", "call": "Initialize"}])
    app.regs.create_new_registration_instance(reg_id)
    time.sleep(0.01)
    second = add_launch(app, reg_id)
    history = app.regs.get_registration_launch_history(reg_id)
    assert isinstance(history, cloud.LaunchHistoryListSchema)
    assert [(h.id, h.instance) for h in history.launch_history] == [(first, 0), (second, 1)]
    entry = history.launch_history[0]
    assert entry.history_log is None and entry.completion_status == "COMPLETED" and entry.score.scaled == 80
    assert entry.total_seconds_tracked == 120 and entry.launch_time < entry.exit_time
    logged = app.regs.get_registration_launch_history(reg_id, include_history_log=True).launch_history[0]
    assert json.loads(logged.history_log)[1]["call"] == "Initialize"
    only = app.regs.get_registration_instance_launch_history(reg_id, 1, include_history_log=True)
    assert [h.id for h in only.launch_history] == [second]
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_instance_launch_history(reg_id, 4)
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_launch_history("ghost")
    assert err.value.status == 404


def test_global_data_shows_and_is_deleted(app):
    reg_id = app.create(course_id=app.course2004)
    write_instance_state(app, reg_id, {
        "globalObjectives": [{"id": "obj-1", "satisfied": True, "measure": 0.8},
                             {"id": "obj-2", "objectiveSuccess": "FAILED", "objectiveCompletion": "COMPLETED"}],
        "sharedData": {"bucket": "hello"}, "sequencing": {"keep": True}})
    progress = app.regs.get_registration_progress(reg_id)
    objectives = {o.id: o for o in progress.global_objectives}
    assert objectives["obj-1"].objective_success == "PASSED" and objectives["obj-1"].score.scaled == 80
    assert objectives["obj-2"].objective_success == "FAILED"
    assert [(s.id, s.value) for s in progress.shared_data] == [("bucket", "hello")]
    app.regs.delete_registration_global_data(reg_id)
    progress = app.regs.get_registration_progress(reg_id)
    assert progress.global_objectives is None and progress.shared_data is None
    with pytest.raises(ApiException) as err:
        app.regs.delete_registration_global_data("ghost")
    assert err.value.status == 404
