// SCORM fixes found with real authoring-tool exports (issue 14), against the real scorm-again dist
// with the adapter the player puts on it (conform for SCORM 2004, conform12 for SCORM 1.2):
// every successful call leaves GetLastError "0" (RTE 3.1.7; SCORM 1.2 RTE 3.3.2.1), and nothing
// after LMSFinish / Terminate is accepted (SCORM 1.2 RTE 3.4.3: 301; 2004 RTE 3.1.7.4: 123/133/143).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Scorm12API } from "../../node_modules/scorm-again/dist/esm/scorm12.js";
import { api2004, call, SETTINGS } from "./scorm-again.mjs";
import { conform12, renderCmi } from "../../src/coursehost/static/player/scorm-again-adapter.js";

// What the LMS loads before Initialize (as the player does from /start).
const LMS_2004 = { learner_id: "u1", learner_name: "Doe, Jo", credit: "credit", mode: "normal", total_time: "PT0S",
  launch_data: "x", completion_threshold: "0.5", scaled_passing_score: "0.5", max_time_allowed: "PT1H",
  time_limit_action: "continue,no message" };
const LMS_12 = { core: { student_id: "u1", student_name: "Doe, Jo", credit: "credit", lesson_mode: "normal",
  total_time: "0000:00:00" }, launch_data: "x", comments_from_lms: "hi",
  student_data: { mastery_score: "80", max_time_allowed: "01:00:00", time_limit_action: "continue,no message" } };

// Every element a SCO may set, with a valid value, in an order that establishes the dependencies.
const SET_2004 = [
  ["cmi.location", "p3"], ["cmi.suspend_data", "s"], ["cmi.completion_status", "incomplete"],
  ["cmi.success_status", "passed"], ["cmi.score.scaled", "0.5"], ["cmi.score.raw", "5"], ["cmi.score.min", "0"],
  ["cmi.score.max", "10"], ["cmi.progress_measure", "0.5"], ["cmi.exit", "suspend"], ["cmi.session_time", "PT1M"],
  ["cmi.learner_preference.audio_level", "1"], ["cmi.learner_preference.language", "en"],
  ["cmi.learner_preference.delivery_speed", "1"], ["cmi.learner_preference.audio_captioning", "0"],
  ["cmi.comments_from_learner.0.comment", "c"], ["cmi.comments_from_learner.0.location", "l"],
  ["cmi.comments_from_learner.0.timestamp", "2020-01-01T00:00:00"],
  ["cmi.objectives.0.id", "o1"], ["cmi.objectives.0.score.scaled", "0.5"], ["cmi.objectives.0.score.raw", "5"],
  ["cmi.objectives.0.score.min", "0"], ["cmi.objectives.0.score.max", "10"],
  ["cmi.objectives.0.success_status", "passed"], ["cmi.objectives.0.completion_status", "completed"],
  ["cmi.objectives.0.progress_measure", "1"], ["cmi.objectives.0.description", "d"],
  ["cmi.interactions.0.id", "i1"], ["cmi.interactions.0.type", "choice"], ["cmi.interactions.0.objectives.0.id", "o1"],
  ["cmi.interactions.0.timestamp", "2020-01-01T00:00:00"], ["cmi.interactions.0.correct_responses.0.pattern", "a"],
  ["cmi.interactions.0.weighting", "1"], ["cmi.interactions.0.learner_response", "a"],
  ["cmi.interactions.0.result", "correct"], ["cmi.interactions.0.latency", "PT5S"],
  ["cmi.interactions.0.description", "q"], ["adl.nav.request", "continue"],
];
const WRITE_ONLY_2004 = new Set(["cmi.exit", "cmi.session_time", "adl.nav.request"]);
const READ_ONLY_2004 = [
  "cmi._version", "cmi.comments_from_learner._children", "cmi.comments_from_learner._count",
  "cmi.comments_from_lms._children", "cmi.comments_from_lms._count", "cmi.completion_threshold", "cmi.credit",
  "cmi.entry", "cmi.interactions._children", "cmi.interactions._count", "cmi.launch_data", "cmi.learner_id",
  "cmi.learner_name", "cmi.learner_preference._children", "cmi.max_time_allowed", "cmi.mode",
  "cmi.objectives._children", "cmi.objectives._count", "cmi.scaled_passing_score", "cmi.score._children",
  "cmi.time_limit_action", "cmi.total_time", "adl.nav.request_valid.continue", "adl.nav.request_valid.previous",
  "cmi.interactions.0.objectives._count", "cmi.interactions.0.correct_responses._count",
  "cmi.objectives.0.score._children",
];
const SET_12 = [
  ["cmi.core.lesson_location", "p"], ["cmi.core.lesson_status", "incomplete"], ["cmi.core.score.raw", "5"],
  ["cmi.core.score.min", "0"], ["cmi.core.score.max", "10"], ["cmi.core.exit", "suspend"],
  ["cmi.core.session_time", "00:01:00"], ["cmi.suspend_data", "s"], ["cmi.comments", "c"],
  ["cmi.student_preference.audio", "1"], ["cmi.student_preference.language", "en"],
  ["cmi.student_preference.speed", "0"], ["cmi.student_preference.text", "0"],
  ["cmi.objectives.0.id", "o1"], ["cmi.objectives.0.score.raw", "5"], ["cmi.objectives.0.score.min", "0"],
  ["cmi.objectives.0.score.max", "10"], ["cmi.objectives.0.status", "passed"],
  ["cmi.interactions.0.id", "i1"], ["cmi.interactions.0.objectives.0.id", "o1"], ["cmi.interactions.0.time", "10:00:00"],
  ["cmi.interactions.0.type", "choice"], ["cmi.interactions.0.correct_responses.0.pattern", "a"],
  ["cmi.interactions.0.weighting", "1"], ["cmi.interactions.0.student_response", "a"],
  ["cmi.interactions.0.result", "correct"], ["cmi.interactions.0.latency", "00:00:05"],
];
const GET_12 = [
  "cmi.core._children", "cmi.core.student_id", "cmi.core.student_name", "cmi.core.lesson_location", "cmi.core.credit",
  "cmi.core.lesson_status", "cmi.core.entry", "cmi.core.score._children", "cmi.core.score.raw", "cmi.core.score.min",
  "cmi.core.score.max", "cmi.core.total_time", "cmi.core.lesson_mode", "cmi.suspend_data", "cmi.launch_data",
  "cmi.comments", "cmi.comments_from_lms", "cmi.objectives._children", "cmi.objectives._count", "cmi.objectives.0.id",
  "cmi.objectives.0.score._children", "cmi.objectives.0.score.raw", "cmi.objectives.0.score.min",
  "cmi.objectives.0.score.max", "cmi.objectives.0.status", "cmi.student_data._children",
  "cmi.student_data.mastery_score", "cmi.student_data.max_time_allowed", "cmi.student_data.time_limit_action",
  "cmi.student_preference._children", "cmi.student_preference.audio", "cmi.student_preference.language",
  "cmi.student_preference.speed", "cmi.student_preference.text", "cmi.interactions._children",
  "cmi.interactions._count", "cmi.interactions.0.objectives._count", "cmi.interactions.0.correct_responses._count",
];

/** A SCORM 1.2 API as the player makes it (conform12), loaded with JSON, initialized. */
function player12(json = LMS_12) {
  const api = conform12(new Scorm12API({ ...SETTINGS }));
  api.loadFromJSON(json);
  api.LMSInitialize("");
  return api;
}

const player2004 = () => api2004({ json: LMS_2004 });

// ---- RTE 3.1.7: a successful call sets the error code to 0

test("SCORM 2004: the issue's case: a 403 read, then success_status / completion_status read with 0", () => {
  const api = player2004();
  assert.deepEqual(call(api, "GetValue", "cmi.suspend_data"), ["", "403"]);
  assert.deepEqual(call(api, "GetValue", "cmi.success_status"), ["unknown", "0"]);
  assert.deepEqual(call(api, "GetValue", "cmi.suspend_data"), ["", "403"]);
  assert.deepEqual(call(api, "GetValue", "cmi.completion_status"), ["unknown", "0"]);
});

test("SCORM 2004: a failed call, then a successful SetValue / GetValue of every element: 0", () => {
  const api = player2004();
  const failThen = (fn, ...args) => {
    assert.equal(api.GetValue("cmi.suspend_data_x"), "");
    assert.notEqual(api.GetLastError(), "0");
    return [args[0], call(api, fn, ...args)];
  };
  const bad = [];
  for (const [element, value] of SET_2004) {
    const [el, [result, code]] = failThen("SetValue", element, value);
    if (result !== "true" || code !== "0") bad.push(["SetValue", el, result, code]);
  }
  const readable = SET_2004.map(([e]) => e).filter((e) => !WRITE_ONLY_2004.has(e)).concat(READ_ONLY_2004);
  for (const element of readable) {
    const [el, [, code]] = failThen("GetValue", element);
    if (code !== "0") bad.push(["GetValue", el, code]);
  }
  const [, commit] = failThen("Commit", "");
  if (commit.join() !== "true,0") bad.push(["Commit", commit]);
  assert.deepEqual(bad, []);
});

test("SCORM 1.2: a failed call, then a successful LMSSetValue / LMSGetValue of every element: 0", () => {
  const api = player12();
  const failThen = (fn, ...args) => {
    assert.equal(api.LMSGetValue("cmi.core.nonsense"), "");
    assert.equal(api.LMSGetLastError(), "401");
    return [args[0], call(api, fn, ...args)];
  };
  const bad = [];
  for (const [element, value] of SET_12) {
    const [el, [result, code]] = failThen("LMSSetValue", element, value);
    if (result !== "true" || code !== "0") bad.push(["LMSSetValue", el, result, code]);
  }
  for (const element of GET_12) {
    const [el, [, code]] = failThen("LMSGetValue", element);
    if (code !== "0") bad.push(["LMSGetValue", el, code]);
  }
  const [, commit] = failThen("LMSCommit", "");
  if (commit.join() !== "true,0") bad.push(["LMSCommit", commit]);
  assert.deepEqual(bad, []);
});

// ---- nothing after LMSFinish / Terminate

test("SCORM 1.2: after LMSFinish every call answers false / 301 and changes nothing", () => {
  const api = player12();
  api.LMSSetValue("cmi.core.session_time", "00:05:00");
  api.LMSSetValue("cmi.core.lesson_location", "p5");
  assert.equal(api.LMSCommit(""), "true");
  assert.deepEqual(call(api, "LMSFinish", ""), ["true", "0"]);
  const before = JSON.stringify(renderCmi(api));
  // the unload handler
  assert.deepEqual(call(api, "LMSSetValue", "cmi.core.session_time", "0000:00:00"), ["false", "301"]);
  assert.deepEqual(call(api, "LMSSetValue", "cmi.core.exit", "suspend"), ["false", "301"]);
  assert.deepEqual(call(api, "LMSGetValue", "cmi.core.lesson_location"), ["", "301"]);
  assert.deepEqual(call(api, "LMSCommit", ""), ["false", "301"]);
  assert.deepEqual(call(api, "LMSFinish", ""), ["false", "301"]);
  assert.equal(JSON.stringify(renderCmi(api)), before);
  assert.match(before, /"session_time":"00:05:00"/);
});

test("SCORM 1.2: every set element is refused after LMSFinish", () => {
  const api = player12();
  api.LMSFinish("");
  const before = JSON.stringify(renderCmi(api));
  for (const [element, value] of SET_12) {
    assert.deepEqual(call(api, "LMSSetValue", element, value), ["false", "301"], element);
  }
  assert.equal(JSON.stringify(renderCmi(api)), before);
});

test("SCORM 2004: after Terminate Get / Set / Commit / Terminate answer 123 / 133 / 143 / 113", () => {
  const api = player2004();
  api.SetValue("cmi.location", "p5");
  assert.deepEqual(call(api, "Terminate", ""), ["true", "0"]);
  const before = JSON.stringify(renderCmi(api));
  assert.deepEqual(call(api, "GetValue", "cmi.location"), ["", "123"]);
  for (const [element, value] of SET_2004) {
    assert.deepEqual(call(api, "SetValue", element, value), ["false", "133"], element);
  }
  assert.deepEqual(call(api, "Commit", ""), ["false", "143"]);
  assert.deepEqual(call(api, "Terminate", ""), ["false", "113"]);
  assert.equal(JSON.stringify(renderCmi(api)), before);
});
