// runtime-data.js: scorm-again's cmi JSON <-> the normalized run-time form the server stores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SET_KEY, normalize, snapshot, toLoadJSON } from "../../src/coursehost/static/player/runtime-data.js";
import { loadSharedData } from "../../src/coursehost/static/player/scorm-again-adapter.js";
import { api12, api2004 } from "./scorm-again.mjs";

test("normalize: collections become lists in index order, derived keys go, leaves are strings", () => {
  const rendered = { location: "p", _version: "1.0", score: { raw: 5, max: null },
    objectives: { _count: 2, 10: { id: "o10" }, 2: { id: "o2", _children: "id" } } };
  assert.deepEqual(normalize(rendered), { location: "p", score: { raw: "5", max: "" }, objectives: [{ id: "o2" }, { id: "o10" }] });
});

test("toLoadJSON (1.2): stored data without per-session elements, plus the LMS's values", () => {
  const start = { runtime: { core: { lesson_location: "p2", session_time: "00:01:00", exit: "suspend" },
    comments_from_lms: { bad: 1 }, interactions: [{ type: "choice", id: "i1", time: "" }] },
    learnerId: "ada", lms: { student_name: "Lovelace, Ada", entry: "resume", credit: "credit", mode: "normal",
      masteryscore: "80", datafromlms: "ld", total_time: "00:02:00" } };
  assert.deepEqual(toLoadJSON(start, "1.2"), {
    core: { lesson_location: "p2", student_id: "ada", student_name: "Lovelace, Ada", entry: "resume", credit: "credit",
      lesson_mode: "normal", total_time: "00:02:00" },
    launch_data: "ld", interactions: [{ id: "i1", type: "choice" }], student_data: { mastery_score: "80" } });
  assert.deepEqual(Object.keys(toLoadJSON(start, "1.2").interactions[0]), ["id", "type"]); // id, type first
});

test("toLoadJSON (2004): drops what the SCO set for its session and maps the LMS's names", () => {
  const start = { runtime: { location: "p", exit: "suspend", session_time: "PT1M", adl: { nav: { request: "continue" } },
    adl_data: [{ id: "b" }], [SET_KEY]: "location", score: {} },
    student_id: "ada", lms: { mastery_score: "0.8", lesson_mode: "review", completion_threshold: "0.5" } };
  assert.deepEqual(toLoadJSON(start, "2004"), { location: "p", learner_id: "ada", mode: "review",
    scaled_passing_score: "0.8", completion_threshold: "0.5" });
  assert.deepEqual(toLoadJSON(null, "2004"), {});
});

test("snapshot (2004): data, the SCO's navigation request, set_by_sco and writable shared data", () => {
  const api = api2004({ init: false });
  loadSharedData(api, [{ id: "b1", store: "s", storeSet: true, readSharedData: true, writeSharedData: true }]);
  api.Initialize("");
  api.SetValue("cmi.objectives.0.id", "o1");
  api.SetValue("cmi.objectives.0.success_status", "passed");
  api.SetValue("adl.nav.request", "suspendAll");
  api.Terminate("");
  const out = snapshot(api);
  assert.deepEqual(out.objectives.map((o) => [o.id, o.success_status]), [["o1", "passed"]]);
  assert.deepEqual(out.adl, { nav: { request: "suspendAll" } });
  assert.equal(out[SET_KEY], "objectives.0.id,objectives.0.success_status");
  assert.deepEqual(out.adl_data, [{ id: "b1", store: "s" }]);
});

test("snapshot (1.2): the cmi data only", () => {
  const api = api12();
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  const out = snapshot(api);
  assert.equal(out.core.lesson_status, "passed");
  assert.ok(!("adl" in out) && !(SET_KEY in out) && !("adl_data" in out));
});

test("what a session stored comes back at the next launch (toLoadJSON of a snapshot)", () => {
  const first = api2004();
  first.SetValue("cmi.location", "p9");
  first.SetValue("cmi.suspend_data", "state");
  first.SetValue("cmi.interactions.0.id", "i1");
  first.SetValue("cmi.interactions.0.type", "fill-in");
  first.SetValue("cmi.interactions.0.correct_responses.0.pattern", "[,]");
  first.SetValue("cmi.exit", "suspend");
  first.Terminate("");
  const next = api2004({ json: toLoadJSON({ runtime: snapshot(first), entry: "resume" }, "2004") });
  assert.equal(next.GetValue("cmi.location"), "p9");
  assert.equal(next.GetValue("cmi.suspend_data"), "state");
  assert.equal(next.GetValue("cmi.entry"), "resume");
  assert.equal(next.GetValue("cmi.interactions.0.correct_responses.0.pattern"), "[,]");
});
