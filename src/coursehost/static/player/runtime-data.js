// Converting between scorm-again's cmi JSON and the normalized run-time form the server stores:
// no "cmi." prefix, nested by dots, collections as lists in index order, leaves as strings.
import { elementsSetBySco, navRequest, renderCmi, writableSharedData } from "./scorm-again-adapter.js";

const COLLECTIONS = new Set([
  "objectives", "interactions", "correct_responses", "comments_from_learner", "comments_from_lms",
]);
// Elements the LMS never takes back from a SCO at start (write-only or per-session).
const NOT_LOADED_12 = { core: ["session_time", "exit"] };
const NOT_LOADED_2004 = ["session_time", "exit", "request", "adl", "adl_data", "set_by_sco"];
/** The run-time key (SCORM 2004) listing the elements the SCO set in this session (the adapter's
 * elementsSetBySco): comma-separated cmi paths without "cmi."
 * ("completion_status,objectives.0.success_status"), indices as in this snapshot; read by the
 * engine's SequencingSession.report (coursehost.domain.sequencing.session.SET_KEY). */
export const SET_KEY = "set_by_sco";

/** scorm-again's rendered cmi ({"0": {...}} for collections) -> normalized form. */
export function normalize(node, key = null) {
  if (node === null || node === undefined) return "";
  if (Array.isArray(node)) return node.map((v) => normalize(v));
  if (typeof node !== "object") return typeof node === "string" ? node : String(node);
  const keys = Object.keys(node);
  if (key !== null && COLLECTIONS.has(key)) {
    return keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => a - b).map((k) => normalize(node[k]));
  }
  const out = {};
  for (const k of keys) {
    if (k.startsWith("_")) continue; // _children, _count, _version: derived, never stored
    out[k] = normalize(node[k], k);
  }
  return out;
}

/** The API's whole current data model, normalized. */
export function snapshot(api) {
  const rendered = renderCmi(api);
  const out = normalize(rendered.cmi || rendered);
  // SCORM 2004: the SCO's pending navigation request, as {"adl": {"nav": {"request"}}} (RTE 4.4.2;
  // the server: abandon / abandonAll keep the SCO's data out of the tracking model, suspendAll
  // marks where the next launch resumes).
  const nav = navRequest(api);
  if (typeof nav === "string" && nav && nav !== "_none_") out.adl = { nav: { request: nav } };
  const set = elementsSetBySco(api);
  if (set) out[SET_KEY] = [...set].filter((e) => e.startsWith("cmi.")).map((e) => e.slice(4)).join(",");
  // SCORM 2004 4th Ed. adl.data: the shared data stores this SCO may write, under "adl_data".
  const stores = writableSharedData(api);
  const ids = Object.keys(stores);
  if (ids.length) out.adl_data = ids.map((id) => ({ id, store: String(stores[id]) }));
  return out;
}

// Put "id" then "type" first: scorm-again checks a response against the interaction's type, and
// SCORM 2004 needs the id before anything else of an interaction (RTE 4.2.9.1).
function ordered(value, key) {
  if (Array.isArray(value)) return value.map((v) => ordered(v, key));
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const first of ["id", "type"]) if (first in value) out[first] = ordered(value[first], first);
  for (const [k, v] of Object.entries(value)) if (!(k in out)) out[k] = ordered(v, k);
  return out;
}

const pick = (...values) => values.find((v) => v !== undefined && v !== null && v !== "");

/**
 * Start data from GET /player/runtime/start -> the JSON for api.loadFromJSON.
 * Accepts the stored runtime under "runtime" plus LMS-supplied values under their standard names
 * (student_id / learner_id, ...) either at the top level or under "lms".
 */
export function toLoadJSON(start, scorm) {
  const lms = { ...(start || {}), ...((start && start.lms) || {}) };
  const json = ordered(structuredClone((start && start.runtime) || {}));
  if (scorm === "1.2") {
    const core = (json.core = json.core || {});
    for (const k of NOT_LOADED_12.core) delete core[k];
    const set = (obj, k, v) => { if (v !== undefined && v !== null && v !== "") obj[k] = String(v); };
    set(core, "student_id", pick(lms.student_id, lms.learner_id, lms.learnerId));
    set(core, "student_name", pick(lms.student_name, lms.learner_name, lms.learnerName));
    set(core, "entry", lms.entry);
    set(core, "credit", lms.credit);
    set(core, "lesson_mode", pick(lms.lesson_mode, lms.mode));
    set(core, "total_time", lms.total_time);
    set(json, "launch_data", pick(lms.launch_data, lms.datafromlms));
    if (typeof json.comments_from_lms !== "string") delete json.comments_from_lms;
    const sd = (json.student_data = json.student_data || {});
    set(sd, "mastery_score", pick(lms.mastery_score, lms.masteryscore));
    set(sd, "max_time_allowed", lms.max_time_allowed);
    set(sd, "time_limit_action", lms.time_limit_action);
  } else {
    for (const k of NOT_LOADED_2004) delete json[k];
    const set = (k, v) => { if (v !== undefined && v !== null && v !== "") json[k] = String(v); };
    set("learner_id", pick(lms.learner_id, lms.student_id, lms.learnerId));
    set("learner_name", pick(lms.learner_name, lms.student_name, lms.learnerName));
    set("entry", lms.entry);
    set("credit", lms.credit);
    set("mode", pick(lms.mode, lms.lesson_mode));
    set("total_time", lms.total_time);
    set("launch_data", pick(lms.launch_data, lms.dataFromLMS));
    set("scaled_passing_score", pick(lms.scaled_passing_score, lms.mastery_score));
    set("completion_threshold", lms.completion_threshold);
    set("max_time_allowed", lms.max_time_allowed);
    set("time_limit_action", lms.time_limit_action);
  }
  return prune(json);
}

// Drop empty strings and empty objects: loadFromJSON skips them anyway, and an empty "score"
// object would be sent through setters for nothing.
function prune(value) {
  if (Array.isArray(value)) return value.map(prune);
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p === "" || p === undefined || p === null) continue;
    if (typeof p === "object" && !Array.isArray(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}
