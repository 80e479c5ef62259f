// JSON-lines bridge to scorm-again's Scorm2004API for the ADL script harness (tests/conformance).
// One request per line on stdin, one answer per line on stdout:
//   {"op":"new","start":{...}}            fresh API for a SCO visit: what player.js does with the
//                                         start data (toLoadJSON(start,"2004"), loadSharedData)
//   {"op":"valid","valid":{...}}          adl.nav.request_valid from the engine's look-ahead
//   {"op":"call","fn":"GetValue","args":["cmi.location"]} -> {"result":..., "error":"0"}
//   {"op":"batch","calls":[[fn,args],...]} -> {"results":[{"result","error"},...]}
//   {"op":"terminate"} -> {"result","error","nav","snapshot"}   (nav read before Terminate)
import { Scorm2004API } from "../../../node_modules/scorm-again/dist/esm/scorm2004.js";
import { snapshot, toLoadJSON } from "../../../src/coursehost/static/player/runtime-data.js";
import { conform, loadSharedData, setRequestValid } from "../../../src/coursehost/static/player/scorm-again-adapter.js";
import { createInterface } from "node:readline";

const SETTINGS = { autocommit: false, lmsCommitUrl: false, logLevel: 5, sendFullCommit: true,
  autoCompleteLessonStatus: false, mastery_override: false };
let api = null;

function call(fn, args) {
  let result;
  try {
    result = api[fn](...(args || []));
  } catch (e) {
    return { result: null, error: String(api.GetLastError()), thrown: String(e && e.message || e) };
  }
  return { result: result === undefined ? null : String(result), error: String(api.lastErrorCode ?? api.GetLastError()) };
}

function handle(msg) {
  switch (msg.op) {
    case "new":
      api = conform(new Scorm2004API(SETTINGS));
      api.loadFromJSON(toLoadJSON(msg.start || {}, "2004"));
      if (msg.valid) setRequestValid(api, msg.valid);
      loadSharedData(api, (msg.start || {}).adlData);
      return { ok: true };
    case "valid":
      setRequestValid(api, msg.valid || {});
      return { ok: true };
    case "call":
      return call(msg.fn, msg.args);
    case "batch":
      return { results: msg.calls.map(([fn, args]) => call(fn, args)) };
    case "nav":
      return { nav: api.adl.nav.request };
    case "snapshot":
      return { snapshot: snapshot(api) };
    case "terminate": {
      const nav = api.adl && api.adl.nav ? api.adl.nav.request : "_none_";
      const r = call("Terminate", [""]);
      return { ...r, nav, snapshot: snapshot(api) };
    }
    default:
      return { error: `unknown op ${msg.op}` };
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  let out;
  try {
    out = handle(JSON.parse(line));
  } catch (e) {
    out = { fatal: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
