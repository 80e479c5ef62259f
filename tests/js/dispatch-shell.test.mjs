// The dispatch shell (static/dispatch/shell.js, a plain script the LMS serves) and the player's side
// of its bridge (static/player/dispatch-bridge.js): what reaches the LMS's API for each result, the
// standard API discovery, and that results are posted only to the origin the launch named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { shellBridge, shellResult } from "../../src/coursehost/static/player/dispatch-bridge.js";

const require = createRequire(import.meta.url);
const shell = require("../../src/coursehost/static/dispatch/shell.js");

const passed = { completion: "COMPLETED", success: "PASSED", score: { scaled: 0.9, raw: 90 }, sessionSeconds: 90 };

test("SCORM 1.2: status from success first, then completion; score and session time", () => {
  assert.deepEqual(shell.values("scorm12", passed), [
    ["cmi.core.lesson_status", "passed"], ["cmi.core.score.raw", "90"], ["cmi.core.score.min", "0"],
    ["cmi.core.score.max", "100"], ["cmi.core.session_time", "0000:01:30"]]);
  assert.equal(shell.lessonStatus({ completion: "COMPLETED", success: "FAILED" }), "failed");
  assert.equal(shell.lessonStatus({ completion: "COMPLETED", success: "UNKNOWN" }), "completed");
  assert.equal(shell.lessonStatus({ completion: "UNKNOWN", success: "UNKNOWN" }), "incomplete");
  assert.deepEqual(shell.values("scorm12", { completion: "INCOMPLETE", success: "UNKNOWN", score: null }),
                   [["cmi.core.lesson_status", "incomplete"]]);
  assert.equal(shell.timespan12(3725.5), "0001:02:05.50");
});

test("SCORM 2004: completion and success apart, scaled score, ISO duration", () => {
  assert.deepEqual(shell.values("scorm2004", { ...passed, sessionSeconds: 3725.5 }), [
    ["cmi.completion_status", "completed"], ["cmi.success_status", "passed"], ["cmi.score.scaled", "0.9"],
    ["cmi.score.raw", "90"], ["cmi.score.min", "0"], ["cmi.score.max", "100"], ["cmi.session_time", "PT1H2M5.5S"]]);
});

test("the API is found on a parent, else on the opener's chain", () => {
  const api = { name: "lms" };
  const top = { API: api };
  top.parent = top;
  const middle = { parent: top };
  const self = { parent: middle };
  assert.equal(shell.findApi(self, "API"), api);
  assert.equal(shell.findApi(self, "API_1484_11"), null);
  const lone = { opener: { parent: top } };
  lone.parent = lone;
  assert.equal(shell.findApi(lone, "API"), api);
});

test("HACP answers: the [Core] lines after aicc_data are keys of their own", () => {
  assert.deepEqual(shell.parseHacp("error=0\r\naicc_data=\r\n[Core]\r\nStudent_ID=s1\r\nStudent_Name=L, A\r\n"),
                   { error: "0", aicc_data: "", student_id: "s1", student_name: "L, A" });
});

test("the player posts the rollup only to the shell's origin, session time from this launch", () => {
  const sent = [];
  const target = { postMessage: (message, origin) => sent.push([message, origin]) };
  assert.equal(shellBridge(null, target), null);
  assert.equal(shellBridge({ origin: "" }, target), null);
  const bridge = shellBridge({ origin: "http://lms.example.org", startSeconds: 30 }, target);
  bridge.result({ completion: "COMPLETED", success: "PASSED", scoreScaled: 90, totalSeconds: 120 });
  bridge.exit();
  assert.deepEqual(sent, [
    [{ type: "coursehost:result", result: passed }, "http://lms.example.org"],
    [{ type: "coursehost:exit", result: passed }, "http://lms.example.org"]]);
  assert.deepEqual(shellResult({ completion: "INCOMPLETE", success: "UNKNOWN", scoreScaled: null, totalSeconds: 5 }, 10),
                   { completion: "INCOMPLETE", success: "UNKNOWN", score: null, sessionSeconds: 0 });
});
