// api-events.js: the player's hooks on scorm-again's documented listeners (api.on), on the real
// scorm-again dist with the adapter as the player applies it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { METHODS, auditedMethods, listen } from "../../src/coursehost/static/player/api-events.js";
import { snapshot } from "../../src/coursehost/static/player/runtime-data.js";
import { api12, api2004 } from "./scorm-again.mjs";

function hooked(api, scorm, extra = {}) {
  const seen = [];
  listen(api, scorm, {
    initialized: () => seen.push(["initialized"]),
    changed: (element) => seen.push(["changed", element]),
    committed: () => seen.push(["committed"]),
    terminated: (nav) => seen.push(["terminated", nav]),
    ...extra,
  });
  return seen;
}

test("the function names of each SCORM version, and what the debug log records quietly", () => {
  assert.equal(METHODS["1.2"].finish, "LMSFinish");
  assert.equal(METHODS["2004"].finish, "Terminate");
  assert.deepEqual(auditedMethods("2004").quiet, ["GetLastError", "GetErrorString", "GetDiagnostic"]);
  assert.equal(auditedMethods("1.2").names.length, 8);
});

test("SCORM 2004: initialized, changed, committed, terminated(navRequest) as the SCO calls", () => {
  const api = api2004({ init: false });
  const seen = hooked(api, "2004");
  api.SetValue("cmi.location", "p1"); // before Initialize: refused, no hook
  api.Commit("");
  api.Initialize("");
  api.Initialize(""); // refused: no second initialized
  api.SetValue("cmi.location", "p2");
  api.SetValue("cmi.score.scaled", "7"); // refused by scorm-again after the state check: still "changed"
  api.SetValue("cmi", "x"); // refused by the adapter before scorm-again: no hook
  api.SetValue("adl.nav.request", "continue");
  api.Commit("");
  api.Terminate("");
  api.Terminate(""); // refused: no second terminated
  api.Commit(""); // after Terminate: refused
  assert.deepEqual(seen, [["initialized"], ["changed", "cmi.location"], ["changed", "cmi.score.scaled"],
    ["changed", "adl.nav.request"], ["committed"], ["terminated", "continue"]]);
});

test("terminated runs inside Terminate, with the SCO's data and navigation request in the snapshot", () => {
  const api = api2004();
  let runtime = null;
  hooked(api, "2004", { terminated: () => { runtime = snapshot(api); } });
  api.SetValue("cmi.exit", "suspend");
  api.SetValue("adl.nav.request", "{target=sco-2}choice");
  assert.equal(api.Terminate(""), "true");
  assert.equal(runtime.exit, "suspend");
  assert.deepEqual(runtime.adl, { nav: { request: "{target=sco-2}choice" } });
  assert.equal(runtime.set_by_sco, "exit");
});

test("SCORM 1.2: the LMS* functions; terminated without a navigation request", () => {
  const api = api12({ init: false });
  const seen = hooked(api, "1.2");
  api.LMSInitialize("");
  api.LMSSetValue("cmi.core.lesson_status", "completed");
  api.LMSCommit("");
  api.LMSFinish("");
  assert.deepEqual(seen, [["initialized"], ["changed", "cmi.core.lesson_status"], ["committed"], ["terminated", undefined]]);
});
