"""A single-SCO SCORM 2004 course in Chromium: API_1484_11, error codes, resume, Terminate + exit."""

from __future__ import annotations

import pytest

from tests.builders.scorm import scorm2004_zip
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress
from tests.e2e.test_player_scorm12 import content_frame, wait_for

SCO = """() => {
  const api = window.parent.API_1484_11;
  const r = {init: api.Initialize(""), entry: api.GetValue("cmi.entry"), id: api.GetValue("cmi.learner_id")};
  api.SetValue("cmi.completion_status", "completed");
  api.SetValue("cmi.success_status", "passed");
  api.SetValue("cmi.score.scaled", "0.9");
  api.SetValue("cmi.location", "slide-4");
  api.SetValue("cmi.suspend_data", "s=2004");
  api.SetValue("cmi.interactions.0.id", "q1");
  api.SetValue("cmi.interactions.0.type", "true-false");
  api.SetValue("cmi.interactions.0.learner_response", "true");
  api.SetValue("cmi.interactions.0.result", "correct");
  api.SetValue("cmi.interactions.0.correct_responses.0.pattern", "true");
  api.SetValue("cmi.session_time", "PT2M15S");
  r.range = api.SetValue("cmi.score.scaled", "3"); r.rangeErr = api.GetLastError();
  r.readOnly = api.SetValue("cmi.learner_id", "x"); r.readOnlyErr = api.GetLastError();
  r.gap = api.SetValue("cmi.interactions.5.id", "x"); r.gapErr = api.GetLastError();
  r.type = api.SetValue("cmi.interactions.0.learner_response", "maybe"); r.typeErr = api.GetLastError();
  api.SetValue("cmi.exit", "suspend");
  api.SetValue("adl.nav.request", "exit");
  r.commit = api.Commit("");
  r.terminate = api.Terminate("");
  return r;
}"""


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("c2004"), scorm2004_zip(
        "4th", "Single SCO 2004", items=[("sco1", "The lesson", "index.html")]))


def test_single_sco_2004(live_server, course, context):
    reg = create_registration(live_server, course, learner_id="grace")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    r = content_frame(page, "index.html").evaluate(SCO)
    assert r["init"] == "true" and r["entry"] == "ab-initio" and r["id"] == "grace"
    assert (r["range"], r["rangeErr"]) == ("false", "407")
    assert (r["readOnly"], r["readOnlyErr"]) == ("false", "404")
    assert (r["gap"], r["gapErr"]) == ("false", "351")
    assert (r["type"], r["typeErr"]) == ("false", "406")
    assert r["commit"] == "true" and r["terminate"] == "true"
    page.wait_for_url("**/player/exit/message", timeout=15000)

    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success, got.score.scaled) == ("COMPLETED", "PASSED", 90.0)
    assert got.total_seconds_tracked == 135 and got.completed_date is not None
    (sco,) = got.activity_details.children
    assert (sco.activity_completion, sco.activity_success, sco.score.scaled, sco.time_tracked) == \
        ("COMPLETED", "PASSED", 90.0, "PT0H2M15S")
    rt = sco.runtime
    assert (rt.completion_status, rt.runtime_success_status, rt.score_scaled, rt.location, rt.suspend_data) == \
        ("completed", "PASSED", "0.9", "slide-4", "s=2004")
    (q1,) = rt.runtime_interactions
    assert (q1.id, q1.type, q1.learner_response, q1.correct_responses, q1.result) == \
        ("q1", "TrueFalse", "true", ["true"], "correct")
    (first,) = launch_history(live_server, reg)
    errors = {e["args"][0]: e["errorCode"] for e in first.log
              if e.get("type") == "runtime" and e["method"] == "SetValue" and e["result"] == "false"}
    assert errors == {"cmi.score.scaled": "407", "cmi.learner_id": "404", "cmi.interactions.5.id": "351",
                      "cmi.interactions.0.learner_response": "406"}
    assert first.completion_status == "COMPLETED" and first.success_status == "PASSED"

    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    resumed = content_frame(page, "index.html").evaluate("""() => { const api = window.parent.API_1484_11;
      api.Initialize(""); const r = {entry: api.GetValue("cmi.entry"), loc: api.GetValue("cmi.location"),
      data: api.GetValue("cmi.suspend_data"), n: api.GetValue("cmi.interactions._count")};
      api.SetValue("cmi.suspend_data", "beacon-2004"); return r; }""")
    assert resumed == {"entry": "resume", "loc": "slide-4", "data": "s=2004", "n": "1"}
    page.close(run_before_unload=True)
    assert wait_for(lambda: progress(live_server, reg).activity_details.children[0].runtime.suspend_data
                    == "beacon-2004")


def test_lenient_interaction_responses(live_server, context, tmp_path):
    """PlayerValidateInteractionResponses=false keeps what authoring tools send."""
    import rustici_software_cloud_v2 as cloud

    from tests.contract.helpers import new_child_app

    _, creds = new_child_app(live_server)
    cloud.ApplicationManagementApi(live_server.client(creds)).set_application_configuration(
        cloud.SettingsPostSchema(settings=[cloud.SettingsIndividualSchema(
            setting_id="PlayerValidateInteractionResponses", value="false")]))
    course_id = import_course(live_server, tmp_path, scorm2004_zip("4th", "Lenient", items=[("sco1", "L", "index.html")]),
                              creds)
    reg = create_registration(live_server, course_id, creds)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, creds))
    r = content_frame(page, "index.html").evaluate("""() => { const api = window.parent.API_1484_11;
      api.Initialize(""); api.SetValue("cmi.interactions.0.id", "q1"); api.SetValue("cmi.interactions.0.type", "true-false");
      const ok = api.SetValue("cmi.interactions.0.learner_response", "maybe");
      return {ok, err: api.GetLastError(), value: api.GetValue("cmi.interactions.0.learner_response"),
              commit: api.Commit("")}; }""")
    assert r == {"ok": "true", "err": "0", "value": "maybe", "commit": "true"}

    def responses():
        rt = progress(live_server, reg, creds).activity_details.children[0].runtime
        return [i.learner_response for i in rt.runtime_interactions]

    assert wait_for(lambda: responses() == ["maybe"])
