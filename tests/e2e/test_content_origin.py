"""In Chromium, a course's own script runs on the content origin and cannot read the API or the LRS,
even in a browser that holds the application's HTTP Basic credentials for the service; the course
still finds window.API and plays (issue 13 item 2)."""

from __future__ import annotations

import json

import pytest

from tests.browser import close_context
from tests.builders.scorm import scorm12_zip
from tests.e2e.support import create_registration, import_course, launch_link, progress
from tests.e2e.test_player_scorm12 import content_frame, wait_for

# What an author's hostile SCO would try: read the integrator's data with the learner's browser.
PROBE = """<!DOCTYPE html><html><head><title>probe</title><script>
window.probe = (async () => {
  const service = %(service)s, app = %(app)s, out = {};
  async function attempt(name, url, init) {
    try { const r = await fetch(url, init); out[name] = {status: r.status, body: (await r.text()).slice(0, 2000)}; }
    catch (e) { out[name] = {error: String(e)}; }
  }
  await attempt("api", service + "/api/v2/courses", {credentials: "include"});
  await attempt("openapi", service + "/api/openapi.json", {credentials: "include"});
  await attempt("lrs", service + "/lrs/" + app + "/statements",
                {credentials: "include", headers: {"X-Experience-API-Version": "1.0.3"}});
  await attempt("lrsSimple", service + "/lrs/" + app + "/about", {credentials: "include"});
  await attempt("sameOriginApi", "/api/v2/courses", {credentials: "include"});
  await attempt("sameOriginLrs", "/lrs/" + app + "/statements",
                {credentials: "include", headers: {"X-Experience-API-Version": "1.0.3"}});
  const api = window.parent.API;
  out.apiFound = !!api;
  out.init = api.LMSInitialize("");
  api.LMSSetValue("cmi.core.lesson_status", "completed");
  out.finish = api.LMSFinish("");
  return out;
})();
</script></head><body>probe</body></html>"""


@pytest.fixture
def context(browser, live_server):
    """A browser that has the default application's Basic credentials for the service origin."""
    creds = live_server.default_app
    ctx = browser.new_context(http_credentials={"username": creds.app_id, "password": creds.secret,
                                                "origin": live_server.service_url})
    yield ctx
    close_context(ctx)


def test_course_script_cannot_read_the_api_or_the_lrs(live_server, context, tmp_path):
    creds = live_server.default_app
    probe = PROBE % {"service": json.dumps(live_server.service_url), "app": json.dumps(creds.app_id)}
    course_id = import_course(live_server, tmp_path, scorm12_zip(
        "Hostile course", scos=[("sco1", "Probe", "one.html")], extra_files={"one.html": probe}))
    reg = create_registration(live_server, course_id)

    # The browser really holds the credentials: the service answers it with the course list.
    page = context.new_page()
    answer = page.goto(live_server.api_url + "/courses")
    assert answer.status == 200 and course_id in page.content()

    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    result = content_frame(page, "one.html").evaluate("() => window.probe")

    for name in ("api", "openapi", "lrs", "lrsSimple"):
        assert "status" not in result[name] and "error" in result[name], (name, result[name])
    for name in ("sameOriginApi", "sameOriginLrs"):  # the content origin has no API or LRS at all
        assert result[name].get("status") == 404, (name, result[name])
        assert course_id not in result[name]["body"] and "statements" not in result[name]["body"]
    # ... and the course plays as before.
    assert (result["apiFound"], result["init"], result["finish"]) == (True, "true", "true")
    assert wait_for(lambda: progress(live_server, reg).registration_completion == "COMPLETED")
