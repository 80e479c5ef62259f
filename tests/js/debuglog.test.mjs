// debuglog.js: the player's debug log (launch history) and its recorder of the SCO's API calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DebugLog, recordCalls } from "../../src/coursehost/static/player/debuglog.js";
import { auditedMethods } from "../../src/coursehost/static/player/api-events.js";
import { api12, api2004 } from "./scorm-again.mjs";

test("api entries: method, arguments and result as strings (cut at 4000), error code", () => {
  const log = new DebugLog({ timestamps: false });
  log.api("SetValue", ["cmi.suspend_data", "x".repeat(5000)], true, undefined, "sco1");
  log.api("GetValue", [null], undefined, 403, "sco1");
  const [set, get] = log.take();
  assert.deepEqual({ ...set, args: set.args.map((a) => a.length) },
    { type: "runtime", activityId: "sco1", method: "SetValue", args: [16, 4000], result: "true", errorCode: "0" });
  assert.deepEqual(get, { type: "runtime", activityId: "sco1", method: "GetValue", args: [""], result: "", errorCode: "403" });
});

test("PlayerDebugRteAudit / RteDetailed / ControlAudit choose what is kept", () => {
  const off = new DebugLog({ rte: false, control: false, timestamps: false });
  off.api("Initialize", [""], "true", "0", "a");
  off.event("launch");
  off.control("navigation");
  assert.equal(off.pending(), 0);
  const audit = new DebugLog({ timestamps: false });
  audit.api("GetLastError", [], "0", "0", "a", { detailedOnly: true });
  audit.event("launch", { launchId: "L" });
  audit.control("navigation", { request: "start" });
  assert.deepEqual(audit.take(), [{ type: "event", event: "launch", launchId: "L" },
    { type: "control", event: "navigation", request: "start" }]);
  const detailed = new DebugLog({ rteDetailed: true, timestamps: false });
  detailed.api("GetLastError", [], "0", "0", "a", { detailedOnly: true });
  assert.equal(detailed.pending(), 1);
});

test("timestamps are ISO 8601 unless PlayerDebugIncludeTimestamps is off", () => {
  const log = new DebugLog();
  log.event("launch");
  assert.match(log.take()[0].timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test("the log keeps the newest 5000 entries; take empties it, putBack puts entries first", () => {
  const log = new DebugLog({ timestamps: false });
  for (let i = 0; i < 5003; i++) log.event("e", { i });
  assert.equal(log.pending(), 5000);
  const taken = log.take();
  assert.equal(taken[0].i, 3);
  assert.equal(log.pending(), 0);
  log.event("later");
  log.putBack(taken.slice(0, 2));
  log.putBack([]);
  assert.deepEqual(log.take().map((e) => e.i ?? e.event), [3, 4, "later"]);
});

test("recordCalls logs every call as the SCO got it, also those scorm-again's listeners miss", () => {
  const api = api2004({ init: false });
  const log = new DebugLog({ timestamps: false });
  let activity = "sco1";
  recordCalls(api, auditedMethods("2004"), log, () => activity);
  api.GetValue("cmi.location"); // before Initialize: 122, no listener fires
  api.Initialize("");
  api.SetValue("cmi.location", ""); // corrected by the adapter: true / 0
  api.GetValue("cmi.completion_status"); // answered without listeners
  api.GetLastError();
  activity = "sco2";
  api.Terminate("");
  api.Terminate(""); // second Terminate: 113
  const calls = log.take().map((e) => [e.activityId, e.method, e.args.join("|"), e.result, e.errorCode]);
  assert.deepEqual(calls, [
    ["sco1", "GetValue", "cmi.location", "", "122"],
    ["sco1", "Initialize", "", "true", "0"],
    ["sco1", "SetValue", "cmi.location|", "true", "0"],
    ["sco1", "GetValue", "cmi.completion_status", "unknown", "0"],
    ["sco2", "Terminate", "", "true", "0"],
    ["sco2", "Terminate", "", "false", "113"],
  ]); // GetLastError only in detailed mode
});

test("recordCalls under SCORM 1.2 records the LMS* functions", () => {
  const api = api12({ init: false });
  const log = new DebugLog({ timestamps: false, rteDetailed: true });
  recordCalls(api, auditedMethods("1.2"), log, () => "sco1");
  api.LMSInitialize("");
  api.LMSSetValue("cmi.core.score.raw", "abc");
  api.LMSGetLastError();
  assert.deepEqual(log.take().map((e) => [e.method, e.result, e.errorCode]),
    [["LMSInitialize", "true", "0"], ["LMSSetValue", "false", "405"], ["LMSGetLastError", "405", "405"]]);
});
