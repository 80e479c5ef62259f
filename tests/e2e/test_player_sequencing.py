"""A SCORM 2004 course with sequencing, built in code, played in Chromium through the player's
buttons and adl.nav.request; the sequencing engine on the server decides every step.

The course: forced sequential order (flow on, choice off); a pretest whose result is shared through
a global objective, and a lesson module skipped when the pretest was passed; the module delivers 2 of
its 3 lessons in random order; a post-test that sends the learner back to the last lesson on failure
(remediation). Only the post-test counts for success; pretest and post-test for completion."""

from __future__ import annotations

import time

import pytest

from tests.builders.scorm import Item, scorm2004_zip
from tests.e2e.support import (
    create_registration,
    import_course,
    launch_history,
    launch_link,
    progress,
    set_registration_settings,
)

NS = "imsss"
PRETEST_SEQ = f"""<{NS}:sequencing>
  <{NS}:rollupRules rollupObjectiveSatisfied="false"/>
  <{NS}:objectives>
    <{NS}:primaryObjective objectiveID="pre_obj">
      <{NS}:mapInfo targetObjectiveID="mastery" readSatisfiedStatus="false" writeSatisfiedStatus="true"/>
    </{NS}:primaryObjective>
  </{NS}:objectives>
</{NS}:sequencing>"""
MODULE_SEQ = f"""<{NS}:sequencing>
  <{NS}:controlMode choice="false" flow="true"/>
  <{NS}:sequencingRules>
    <{NS}:preConditionRule>
      <{NS}:ruleConditions><{NS}:ruleCondition referencedObjective="known" condition="satisfied"/></{NS}:ruleConditions>
      <{NS}:ruleAction action="skip"/>
    </{NS}:preConditionRule>
  </{NS}:sequencingRules>
  <{NS}:rollupRules rollupObjectiveSatisfied="false" rollupProgressCompletion="false"/>
  <{NS}:objectives>
    <{NS}:primaryObjective objectiveID="module_obj"/>
    <{NS}:objective objectiveID="known">
      <{NS}:mapInfo targetObjectiveID="mastery" readSatisfiedStatus="true"/>
    </{NS}:objective>
  </{NS}:objectives>
  <{NS}:randomizationControls selectCount="2" selectionTiming="onEachNewAttempt" reorderChildren="true"
      randomizationTiming="onEachNewAttempt"/>
</{NS}:sequencing>"""
POSTTEST_SEQ = f"""<{NS}:sequencing>
  <{NS}:sequencingRules>
    <{NS}:postConditionRule>
      <{NS}:ruleConditions><{NS}:ruleCondition operator="not" condition="satisfied"/></{NS}:ruleConditions>
      <{NS}:ruleAction action="previous"/>
    </{NS}:postConditionRule>
  </{NS}:sequencingRules>
</{NS}:sequencing>"""
ORG_SEQ = f'<{NS}:sequencing><{NS}:controlMode choice="false" flow="true"/></{NS}:sequencing>'
LESSONS = ("lesson1.html", "lesson2.html", "lesson3.html")

# What each SCO does: results, then (optionally) a navigation request and Terminate.
RUN = """([status, success, request]) => {
  const api = window.parent.API_1484_11;
  const r = {init: api.Initialize(""), entry: api.GetValue("cmi.entry"),
             continueValid: api.GetValue("adl.nav.request_valid.continue"),
             previousValid: api.GetValue("adl.nav.request_valid.previous"),
             choosePost: api.GetValue("adl.nav.request_valid.choice.{target=posttest}")};
  api.SetValue("cmi.completion_status", status);
  if (success) api.SetValue("cmi.success_status", success);
  api.SetValue("cmi.session_time", "PT30S");
  if (request) { api.SetValue("adl.nav.request", request); r.terminate = api.Terminate(""); }
  else r.commit = api.Commit("");
  return r;
}"""


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    items = [
        Item("pretest", "Pretest", "pretest.html", inner_xml=PRETEST_SEQ),
        Item("module", "Lessons", None, children=[Item(f"l{i}", f"Lesson {i}", f"lesson{i}.html") for i in (1, 2, 3)],
             inner_xml=MODULE_SEQ),
        Item("posttest", "Post-test", "posttest.html", inner_xml=POSTTEST_SEQ),
    ]
    data = scorm2004_zip("4th", "Sequenced course", items=items, sequencing_xml=ORG_SEQ)
    return import_course(live_server, tmp_path_factory.mktemp("seq"), data)


def sco(page, names, previous_url=None):
    """The SCO frame now showing one of NAMES (a new one when PREVIOUS_URL is given): (name, frame)."""
    def find():
        for frame in page.frames:
            for name in names:
                if frame.url.endswith("/" + name) and frame.url != previous_url:
                    return name, frame
        return None
    found = until(page, find)
    if not found:
        seen = page.evaluate("() => ({panel: document.getElementById('panel-text').textContent, "
                             "warning: document.getElementById('warning').textContent, "
                             "log: window.coursehostPlayer.debug.entries ? window.coursehostPlayer.debug.entries.slice(-8) : null})")
        raise AssertionError(f"none of {names} was delivered; frames: {[f.url for f in page.frames]}; player: {seen}")
    found[1].wait_for_load_state()
    return found


def until(page, check, timeout=15.0):
    """CHECK() once it is truthy (page.wait_for_timeout keeps Playwright's events flowing)."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        page.wait_for_timeout(50)


def run(frame, status, success=None, request=None):
    return frame.evaluate(RUN, [status, success, request])


def test_pretest_passed_skips_the_lessons(live_server, course, context):
    reg = create_registration(live_server, course, learner_id="skipper")
    set_registration_settings(live_server, reg, PlayerDebugSequencingAudit="true")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    _, frame = sco(page, ["pretest.html"])
    r = run(frame, "completed", "passed", "continue")
    assert r["init"] == "true" and r["terminate"] == "true"
    assert (r["continueValid"], r["previousValid"]) == ("true", "false")
    name, frame = sco(page, ["posttest.html", *LESSONS])
    assert name == "posttest.html"  # the module's skip rule read the pretest's global objective
    run(frame, "completed", "passed", "continue")
    page.wait_for_url("**/player/exit/message", timeout=15000)

    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    shared = {o.id: o.objective_success for o in got.global_objectives or []}
    assert shared == {"mastery": "PASSED"}
    log = [e for launch in launch_history(live_server, reg) for e in launch.log]
    steps = " ".join(str(e) for e in log if "sequencing" in str(e))
    assert "NB.2.1: continue" in steps, steps[:500]


def test_failed_pretest_random_lessons_and_remediation(live_server, course, context):
    reg = create_registration(live_server, course, learner_id="learner")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    _, frame = sco(page, ["pretest.html"])
    run(frame, "completed", "failed", "continue")

    # Two of the three lessons, in random order; the learner moves on with the Continue button.
    first, frame = sco(page, LESSONS)
    run(frame, "completed")
    until(page, lambda: not page.locator("#btn-prev").is_disabled())
    assert not page.locator("#btn-prev").is_disabled()  # back to the pretest is allowed
    page.click("#btn-next")
    second, frame = sco(page, [n for n in LESSONS if n != first], previous_url=frame.url)
    run(frame, "completed")
    page.click("#btn-next")
    _, frame = sco(page, ["posttest.html"])  # after two lessons: the module selected 2 of its 3
    assert first != second

    # Failing the post-test sends the learner back into the lessons (post condition: previous; the
    # module's new attempt selects and orders its lessons again, SR.1 / SR.2 onEachNewAttempt).
    r = run(frame, "completed", "failed", "continue")
    assert r["terminate"] == "true"
    again, frame = sco(page, LESSONS)
    assert again in LESSONS
    run(frame, "completed")
    page.click("#btn-next")
    _, frame = sco(page, ["posttest.html"])
    run(frame, "completed", "passed", "continue")
    page.wait_for_url("**/player/exit/message", timeout=15000)

    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    assert {o.id: o.objective_success for o in got.global_objectives or []} == {"mastery": "FAILED"}


def test_forced_order_disables_the_outline_and_previous_at_the_start(live_server, course, context):
    reg = create_registration(live_server, course, learner_id="forced")
    set_registration_settings(live_server, reg, PlayerInvalidMenuItemAction="DISABLE")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    _, frame = sco(page, ["pretest.html"])
    r = run(frame, "incomplete")
    assert r["init"] == "true" and r["choosePost"] == "false"
    assert page.locator("#btn-prev").is_disabled() and not page.locator("#btn-next").is_disabled()
    buttons = page.locator("#toc-list button")
    until(page, lambda: buttons.count() >= 5)
    assert buttons.count() >= 5 and all(buttons.nth(i).is_disabled() for i in range(buttons.count()))

    # Exit mid-course suspends; the next launch resumes the pretest where it was.
    page.click("#btn-exit")
    page.wait_for_url("**/player/exit/message", timeout=15000)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    _, frame = sco(page, ["pretest.html"])
    assert frame.evaluate("() => { const a = window.parent.API_1484_11; a.Initialize(''); "
                          "return a.GetValue('cmi.entry'); }") == "resume"


SHARED = '<adlcp:data><adlcp:map targetID="notes" readSharedData="true" writeSharedData="{write}"/></adlcp:data>'


def test_shared_data_buckets_pass_between_scos_and_reach_progress(live_server, context, tmp_path):
    hide = ("<adlnav:presentation><adlnav:navigationInterface><adlnav:hideLMSUI>continue</adlnav:hideLMSUI>"
            "</adlnav:navigationInterface></adlnav:presentation>")
    items = [Item("writer", "Writer", "writer.html", inner_xml=SHARED.format(write="true")),
             Item("reader", "Reader", "reader.html", inner_xml=SHARED.format(write="false") + hide)]
    course_id = import_course(live_server, tmp_path, scorm2004_zip(
        "4th", "Shared data", items=items, sequencing_xml=ORG_SEQ.replace('choice="false"', 'choice="true"')))
    reg = create_registration(live_server, course_id, learner_id="notes")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    _, frame = sco(page, ["writer.html"])
    wrote = frame.evaluate("""() => { const a = window.parent.API_1484_11; a.Initialize('');
      const r = {id: a.GetValue('adl.data.0.id'), count: a.GetValue('adl.data._count'),
                 set: a.SetValue('adl.data.0.store', 'remember me')};
      a.SetValue('cmi.completion_status', 'completed'); a.SetValue('adl.nav.request', 'continue');
      a.Terminate(''); return r; }""")
    assert wrote == {"id": "notes", "count": "1", "set": "true"}
    _, frame = sco(page, ["reader.html"])
    assert page.locator("#btn-next").is_hidden() and page.locator("#btn-prev").is_visible()  # hideLMSUI
    read = frame.evaluate("""() => { const a = window.parent.API_1484_11; a.Initialize('');
      const r = {store: a.GetValue('adl.data.0.store'), set: a.SetValue('adl.data.0.store', 'x'),
                 err: a.GetLastError()};
      a.SetValue('cmi.completion_status', 'completed'); a.Terminate(''); return r; }""")
    assert read == {"store": "remember me", "set": "false", "err": "404"}  # this SCO may only read
    # No navigation request (_none_): the player says so and the learner chooses from the outline.
    until(page, lambda: page.locator("#panel").is_visible())
    assert "ended" in page.locator("#panel-text").text_content()
    page.click("#toc-list button[data-id=writer]")
    _, frame = sco(page, ["writer.html"])
    assert frame.evaluate("() => { const a = window.parent.API_1484_11; a.Initialize(''); "
                          "return [a.GetValue('cmi.entry'), a.GetValue('adl.data.0.store')]; }") == ["ab-initio", "remember me"]
    got = progress(live_server, reg)
    assert [(d.id, d.value) for d in got.shared_data or []] == [("notes", "remember me")]
