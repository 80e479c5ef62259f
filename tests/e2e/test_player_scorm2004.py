"""A single-SCO SCORM 2004 course in Chromium: API_1484_11, error codes, resume, Terminate + exit."""

from __future__ import annotations

import pytest

from tests.builders.scorm import scorm2004_zip
from tests.e2e.support import create_registration, import_course, launch_link
from tests.e2e.test_player_scorm12 import content_frame, launches, states, wait_for

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

    rt = states(live_server, reg)["sco1"].runtime
    assert rt["completion_status"] == "completed" and rt["success_status"] == "passed"
    assert rt["score"]["scaled"] == "0.9" and rt["location"] == "slide-4"
    assert rt["interactions"][0]["learner_response"] == "true"
    (first,) = launches(live_server, reg)
    errors = {e["args"][0]: e["errorCode"] for e in first.history_log
              if e.get("type") == "runtime" and e["method"] == "SetValue" and e["result"] == "false"}
    assert errors == {"cmi.score.scaled": "407", "cmi.learner_id": "404", "cmi.interactions.5.id": "351",
                      "cmi.interactions.0.learner_response": "406"}

    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    resumed = content_frame(page, "index.html").evaluate("""() => { const api = window.parent.API_1484_11;
      api.Initialize(""); const r = {entry: api.GetValue("cmi.entry"), loc: api.GetValue("cmi.location"),
      data: api.GetValue("cmi.suspend_data"), n: api.GetValue("cmi.interactions._count")};
      api.SetValue("cmi.suspend_data", "beacon-2004"); return r; }""")
    assert resumed == {"entry": "resume", "loc": "slide-4", "data": "s=2004", "n": "1"}
    page.close(run_before_unload=True)
    assert wait_for(lambda: states(live_server, reg)["sco1"].runtime.get("suspend_data") == "beacon-2004")


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
    assert wait_for(lambda: (states(live_server, reg).get("sco1") or type("x", (), {"runtime": {}})).runtime
                    .get("interactions", [{}])[0].get("learner_response") == "maybe")
