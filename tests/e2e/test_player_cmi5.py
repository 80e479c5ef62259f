"""In Chromium, a generated single-AU cmi5 package plays from an official-client launch link: the AU
reads its launch parameters, POSTs the fetch URL, reads LMS.LaunchData and sends initialized,
completed, passed with a score and terminated to the LRS on the service origin (cross-origin),
then returns; GetRegistrationProgress through the official client shows COMPLETED / PASSED."""

from __future__ import annotations

from tests.builders.cmi5 import AU, cmi5_zip
from tests.e2e.support import create_registration, import_course, launch_link, progress

AU_ID = "https://example.com/cmi5/e2e/au"

# The AU's side of the cmi5 launch (cmi5 Quartz §8.1, §8.2, §9.3), written as an AU author would.
AU_PAGE = """<!DOCTYPE html><html><head><title>cmi5 AU</title><script>
window.run = (async () => {
  const q = new URLSearchParams(location.search), endpoint = q.get("endpoint");
  const actor = JSON.parse(q.get("actor")), registration = q.get("registration"), au = q.get("activityId");
  const token = (await (await fetch(q.get("fetch"), {method: "POST"})).json())["auth-token"];
  const headers = {"Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3",
                   "Content-Type": "application/json"};
  const state = new URLSearchParams({stateId: "LMS.LaunchData", activityId: au, agent: JSON.stringify(actor),
                                     registration});
  const launchData = await (await fetch(endpoint + "activities/state?" + state, {headers})).json();
  const prefs = new URLSearchParams({profileId: "cmi5LearnerPreferences", agent: JSON.stringify(actor)});
  await fetch(endpoint + "agents/profile?" + prefs, {headers});  // cmi5 11.0: before initialized
  const statuses = [];
  async function send(verb, result) {
    const context = JSON.parse(JSON.stringify(launchData.contextTemplate));
    context.registration = registration;
    context.contextActivities.category = [{id: "https://w3id.org/xapi/cmi5/context/categories/cmi5"}];
    if (["completed", "passed", "failed"].includes(verb)) {
      context.contextActivities.category.push({id: "https://w3id.org/xapi/cmi5/context/categories/moveon"});
    }
    if (result && result.score) {
      context.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] = launchData.masteryScore;
    }
    const stmt = {id: crypto.randomUUID(), actor, verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
                  object: {id: au, objectType: "Activity"}, context, timestamp: new Date().toISOString()};
    if (result) stmt.result = result;
    const r = await fetch(endpoint + "statements", {method: "POST", headers, body: JSON.stringify(stmt)});
    statuses.push(verb + ":" + r.status);
  }
  await send("initialized");
  await send("completed", {completion: true, duration: "PT20S"});
  await send("passed", {success: true, score: {scaled: 0.9}, duration: "PT25S"});
  await send("terminated", {duration: "PT30S"});
  return {statuses, launchMode: launchData.launchMode, masteryScore: launchData.masteryScore, returnURL: launchData.returnURL};
})();
</script></head><body>cmi5 AU</body></html>"""


def test_single_au_course_plays_and_reports(live_server, context, tmp_path):
    data = cmi5_zip([AU(AU_ID, "The AU", "au/index.html", attrs={"moveOn": "CompletedAndPassed",
                                                                  "masteryScore": "0.7"})],
                    extra_files={"au/index.html": AU_PAGE})
    course_id = import_course(live_server, tmp_path, data)
    reg = create_registration(live_server, course_id)
    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    assert page.url.startswith(live_server.content_url) and "/au/index.html?" in page.url
    outcome = page.evaluate("window.run")
    assert outcome["statuses"] == ["initialized:200", "completed:200", "passed:200", "terminated:200"]
    assert outcome["launchMode"] == "Normal" and outcome["masteryScore"] == 0.7
    page.goto(outcome["returnURL"])  # the launch link's redirectOnExitUrl: our message page by default
    assert page.url.startswith(live_server.content_url + "/player/exit/message")
    result = progress(live_server, reg)
    assert result.registration_completion == "COMPLETED" and result.registration_success == "PASSED"
    assert result.score.scaled == 90.0 and result.total_seconds_tracked == 30.0
