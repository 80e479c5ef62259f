"""A cmi5 course of several AUs in blocks, in Chromium from an official-client launch link: the
launch opens the player's outline (blocks and AUs with their state), the learner picks an AU, the
AU plays and, once terminated, goes to LMS.LaunchData's returnURL, which is the outline again,
drawn afresh: the AU's state, its block's and the course's satisfaction (moveOn) show there. A
satisfied AU can be opened again in Review. GetRegistrationProgress through the official client
and the LMS's satisfied statements in the LRS agree."""

from __future__ import annotations

from tests.builders.cmi5 import AU, Block, cmi5_zip
from tests.contract.helpers import LrsClient
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

COURSE = "https://example.com/cmi5/outline/course"
AU1, AU2, AU3 = (f"https://example.com/cmi5/outline/au{i}" for i in (1, 2, 3))
BLOCK = "https://example.com/cmi5/outline/block1"

# An AU as an author writes one: launch parameters, fetch, LaunchData, then what its URL's "do"
# asks (completed and/or passed, only in Normal mode), terminated, and off to returnURL (§10).
AU_PAGE = """<!DOCTYPE html><html><head><title>AU</title><script>
(async () => {
  const q = new URLSearchParams(location.search), endpoint = q.get("endpoint");
  const actor = JSON.parse(q.get("actor")), registration = q.get("registration"), au = q.get("activityId");
  const token = (await (await fetch(q.get("fetch"), {method: "POST"})).json())["auth-token"];
  const headers = {"Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3",
                   "Content-Type": "application/json"};
  const state = new URLSearchParams({stateId: "LMS.LaunchData", activityId: au, agent: JSON.stringify(actor),
                                     registration});
  const launchData = await (await fetch(endpoint + "activities/state?" + state, {headers})).json();
  await fetch(endpoint + "agents/profile?" + new URLSearchParams({agent: JSON.stringify(actor),
              profileId: "cmi5LearnerPreferences"}), {headers});
  async function send(verb, result) {
    const context = JSON.parse(JSON.stringify(launchData.contextTemplate));
    context.registration = registration;
    context.contextActivities.category = [{id: "https://w3id.org/xapi/cmi5/context/categories/cmi5"}];
    if (verb === "completed" || verb === "passed") {  // the moveOn category on verdicts only (9.6.2.2)
      context.contextActivities.category.push({id: "https://w3id.org/xapi/cmi5/context/categories/moveon"});
    }
    if (verb === "passed" && launchData.masteryScore !== undefined) {  // as launched (9.6.3.2)
      context.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] = launchData.masteryScore;
    }
    const stmt = {id: crypto.randomUUID(), actor, verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
                  object: {id: au, objectType: "Activity"}, context, timestamp: new Date().toISOString()};
    if (result) stmt.result = result;
    const r = await fetch(endpoint + "statements", {method: "POST", headers, body: JSON.stringify(stmt)});
    if (r.status !== 200) throw new Error(verb + ": " + r.status + " " + await r.text());
  }
  await send("initialized");
  if (launchData.launchMode === "Normal") {
    for (const step of (q.get("do") || "").split(",").filter(Boolean)) {
      if (step === "completed") await send("completed", {completion: true, duration: "PT10S"});
      if (step === "passed") await send("passed", {success: true, score: {scaled: 0.8}, duration: "PT10S"});
    }
  }
  await send("terminated", {duration: "PT20S"});
  sessionStorage.setItem("last-mode", launchData.launchMode);  // activityId is the LMS's own id (8.1.5)
  location.href = launchData.returnURL;
})().catch((e) => { document.body.textContent = "AU error: " + e; });
</script></head><body>AU</body></html>"""


def course_zip() -> bytes:
    return cmi5_zip([Block(BLOCK, "Part one", [
        AU(AU1, "Reading", "au.html?do=completed", attrs={"moveOn": "Completed"}),
        AU(AU2, "Quiz", "au.html?do=passed", attrs={"moveOn": "Passed", "masteryScore": "0.5"})]),
        AU(AU3, "Wrap-up", "au.html?do=completed", attrs={"moveOn": "CompletedOrPassed"})],
        course_id=COURSE, title="Outline course", extra_files={"au.html": AU_PAGE})


def au_state(page, au_id: str) -> str:
    return page.locator(f'li.au[data-au-id="{au_id}"] .au-state').first.inner_text()


def play(page, live_server, title: str) -> None:
    """Pick TITLE on the outline and wait for the AU to come back to the outline."""
    page.get_by_role("button", name=title).click()
    page.wait_for_url("**/player/cmi5/course?**", timeout=30000)
    page.wait_for_selector("#toc-list")
    assert page.url.startswith(live_server.content_url)


def test_outline_picks_aus_and_shows_their_state_blocks_and_course(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, course_zip())
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    page.wait_for_url("**/player/cmi5/course?**")
    assert page.url.startswith(live_server.content_url)  # the player's page, on the content origin
    assert page.locator("#course-title").inner_text() == "Outline course"
    assert page.locator(".block-title").inner_text() == "Part one"
    assert [au_state(page, a) for a in (AU1, AU2, AU3)] == ["(Not attempted)"] * 3

    play(page, live_server, "Reading")
    assert au_state(page, AU1) == "(Completed · Satisfied)"
    assert page.locator(".block-title").get_attribute("data-status") == ""  # the quiz is still to pass
    play(page, live_server, "Quiz")
    assert au_state(page, AU2) == "(Passed · Satisfied)"
    assert page.locator(".block-title").get_attribute("data-status") == "satisfied"
    assert page.locator("#course-state").inner_text() != "Course satisfied"
    play(page, live_server, "Wrap-up")
    assert page.locator("#course-state").inner_text() == "Course satisfied"

    page.get_by_role("button", name="Review Reading").click()  # a satisfied AU again, in Review
    page.wait_for_url("**/player/cmi5/course?**", timeout=30000)
    assert page.evaluate("sessionStorage.getItem('last-mode')") == "Review"  # what LaunchData told the AU
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    assert got.score.scaled == 80
    with LrsClient(live_server, "1.0.3") as lrs:
        found = lrs.get("statements", params={"registration": got.xapi_registration_id, "limit": "500"}).json()
    launches = [s for s in found["statements"] if s["verb"]["id"].endswith("/launched")]
    modes = [s["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/launchmode"]
             for s in sorted(launches, key=lambda s: s["stored"])]
    assert modes == ["Normal", "Normal", "Normal", "Review"]
    satisfied = {s["context"]["contextActivities"]["grouping"][0]["id"] if s["object"]["id"] not in (BLOCK, COURSE)
                 else s["object"]["id"] for s in found["statements"] if s["verb"]["id"].endswith("/satisfied")}
    assert {BLOCK, COURSE} <= satisfied

    page.locator("#btn-exit").click()
    page.wait_for_url("**/player/exit/message", timeout=30000)
    history = launch_history(live_server, reg)
    assert len(history) == 5 and all(h.exit_time for h in history)  # the outline's launch and four AU sessions
