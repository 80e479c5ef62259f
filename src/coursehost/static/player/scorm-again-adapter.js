// The one place that touches scorm-again's internals (scorm-again 3.4.3, package-lock.json): what
// its README documents (the constructors and settings, the SCORM API functions, on / off / clear,
// loadFromJSON, reading api.cmi) is used elsewhere; everything else (private fields such as
// _learner_response, CMIArray.childArray, throwSCORMError, lastErrorCode, isInitialized,
// renderCMIToJSONObject, the adl object's shared-data methods) only here. On a scorm-again
// upgrade, check this file against tests/js/scorm-again-adapter.test.mjs, which loads the real
// dist and states for each patch what scorm-again does alone.
//
// conform(api): SCORM 2004 corrections where scorm-again departs from the SCORM 2004 4th Edition
// run-time environment as ADL's LMS test suite checks it (make conformance-scorm2004 measures them).
// acceptAnyResponse(api, is12): the PlayerValidateInteractionResponses=false leniency.
// setRequestValid(api, look): the sequencing engine's look-ahead into adl.nav.request_valid.
// The readers below (renderCmi, navRequest, ...) give runtime-data.js and the player what the
// public API does not.

import { validDuration, validResponse, validTime, validURN } from "./rte-formats.js";

// Where the adapter keeps its own state on the API object.
const NAV_AT_TERMINATE = "coursehostNavAtTerminate"; // adl.nav.request as Terminate found it
const SET_ELEMENTS = "coursehostSetElements"; // the elements the SCO set in this session (a Set)
const LOOKAHEAD = "coursehostLookahead"; // setRequestValid loaded the engine's look-ahead

// ------------------------------------------------------------------ reading the API's state

/** The whole data model as scorm-again renders it ({"cmi": {...}}; collections as {"0": ...}). */
export function renderCmi(api) {
  return api.renderCMIToJSONObject();
}

/** The SCO's adl.nav.request: as it was when Terminate succeeded (scorm-again then resets it to
 * "_none_"), else its current value; undefined for SCORM 1.2. */
export function navRequest(api) {
  return api[NAV_AT_TERMINATE] ?? (api.adl && api.adl.nav ? api.adl.nav.request : undefined);
}

/** The elements the SCO set successfully in this session (conform() records them), or null. */
export function elementsSetBySco(api) {
  const set = api[SET_ELEMENTS];
  return set instanceof Set ? set : null;
}

/** Whether the API's session has ended (Terminate / LMSFinish succeeded). */
export function isTerminated(api) {
  return api.isTerminated();
}

/** SCORM 2004 4th Ed. adl.data: {bucket id: store} of the shared data stores this SCO may write. */
export function writableSharedData(api) {
  const adl = api.adl;
  if (!adl || typeof adl.captureWritableSharedDataSnapshot !== "function") return {};
  return adl.captureWritableSharedDataSnapshot();
}

/** SCORM 2004 4th Ed. adl.data: the buckets the SCO's item maps (CAM 3.4.1.8), with their stores. */
export function loadSharedData(api, buckets) {
  const adl = api.adl;
  if (!buckets || !buckets.length || !adl || typeof adl.configureSharedDataMaps !== "function") return;
  const stores = {};
  for (const b of buckets) if (b.storeSet) stores[b.id] = String(b.store);
  adl.restoreSharedDataSnapshot(stores);
  adl.configureSharedDataMaps(buckets.map((b) => ({
    targetID: b.id, readSharedData: Boolean(b.readSharedData), writeSharedData: Boolean(b.writeSharedData) })));
}

// ------------------------------------------------------------------ PlayerValidateInteractionResponses

const LENIENT_RESPONSE = /^cmi\.interactions\.(\d+)\.(student_response|learner_response|correct_responses\.(\d+)\.pattern)$/;

/** PlayerValidateInteractionResponses=false: keep the responses authoring tools send even when they
 * do not match the interaction type's format. scorm-again refuses them (SCORM 1.2 RTE 3.4.2.7 /
 * 2004 RTE 4.2.9 are strict: "false", 405 / 406); we store the string in the interaction's private
 * field and answer "true" / 0, as SCORM Cloud does with this setting. */
export function acceptAnyResponse(api, is12) {
  const name = is12 ? "LMSSetValue" : "SetValue";
  const setValue = api[name].bind(api);
  api[name] = (element, value) => {
    const result = setValue(element, value);
    if (String(result) !== "false" || !forceResponse(api, is12, element, value)) return result;
    api.lastErrorCode = "0";
    return "true";
  };
  return api;
}

function forceResponse(api, is12, element, value) {
  const m = LENIENT_RESPONSE.exec(String(element || ""));
  if (!m) return false;
  const interaction = api.cmi.interactions && api.cmi.interactions.childArray[Number(m[1])];
  if (!interaction) return false;
  if (m[3] === undefined) {
    interaction[is12 ? "_student_response" : "_learner_response"] = String(value);
    return true;
  }
  const pattern = interaction.correct_responses && interaction.correct_responses.childArray[Number(m[3])];
  if (!pattern) return false;
  pattern._pattern = String(value);
  return true;
}

// ------------------------------------------------------------------ adl.nav.request_valid

/** The engine's look-ahead ({continue, previous, choice, jump}; choice / jump either {id: bool} or
 * the list of valid ids, the player's nav shape) into adl.nav.request_valid (RTE 4.4.3). Once
 * loaded, conform's GetValue answers request_valid.choice / jump.{target=id} from it ("false" for
 * ids it does not list) instead of scorm-again's own sequencer or scoItemIdValidator. Set before
 * Initialize: the elements are read-only to the SCO. */
export function setRequestValid(api, look) {
  const rv = api && api.adl && api.adl.nav && api.adl.nav.request_valid;
  if (!rv || !look) return;
  const tf = (v) => (v ? "true" : "false");
  if ("continue" in look) rv._continue = tf(look.continue);
  if ("previous" in look) rv._previous = tf(look.previous);
  // {id: bool}, or a list of the valid ids (the player's nav shape)
  const map = (m) => Object.fromEntries(Array.isArray(m) ? m.map((k) => [k, "true"])
    : Object.entries(m || {}).map(([k, v]) => [k, tf(v)]));
  api[LOOKAHEAD] = true;
  for (const [holder, values] of [[rv._choice, look.choice], [rv._jump, look.jump]]) {
    if (!holder || !holder.setAll) continue;
    holder.setAll(map(values)); // read back by conform's GetValue
  }
}

// ------------------------------------------------------------------ SCORM 2004 conformance

// Containers, not data model elements (RTE 3.1.7.6).
const CONTAINERS = new Set(["cmi", "adl", "adl.nav", "adl.data", "cmi.objectives", "cmi.interactions",
  "cmi.learner_preference", "cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.score"]);
const TARGETED = /^adl\.nav\.request_valid\.(choice|jump)\.\{target=([^}]*)\}$/;
const ID_ELEMENT = /^cmi\.(objectives|interactions)\.\d+\.(objectives\.\d+\.)?id$/;
const STORE = /^adl\.data\.(\d+)\./;
const ENTRY = /^cmi\.(objectives|interactions)\.(\d+)\.(.+)$/;
const TIME_ELEMENT = /^cmi\.(comments_from_learner|interactions)\.\d+\.timestamp$/;
const DURATION_ELEMENT = /^cmi\.(session_time|interactions\.\d+\.latency)$/;
// Elements whose type takes the empty string (characterstrings without a minimum length, RTE 4.2).
const EMPTY_OK = new RegExp("^cmi\\.(location|suspend_data|exit|learner_preference\\.language|" +
  "comments_from_learner\\.\\d+\\.(comment|location)|(objectives|interactions)\\.\\d+\\.description)$");
const RESPONSE = /^cmi\.interactions\.(\d+)\.(learner_response|correct_responses\.(\d+)\.pattern)$/;
const SINGLE_PATTERN = new Set(["true-false", "likert", "numeric"]); // RTE 4.2.9.1: one pattern
// Interaction types whose response format takes the empty string (RTE 4.2.9.2: an empty choice set,
// an empty fill-in / long-fill-in / other string; not true-false, numeric, ...).
const EMPTY_TYPES = new Set(["choice", "fill-in", "long-fill-in", "other"]);

const refuse = (api, element, code, message) => {
  api.throwSCORMError(element, code, message);
  return "false";
};

// Checks made before scorm-again sees a SetValue (after Initialize); each answers "false" with
// an error code, or undefined to go on. In this order.
const SET_CHECKS = [
  // SetValue("cmi", ...) and other containers: scorm-again answers "true"/0; they are no data model
  // elements, so 401 Undefined Data Model Element (RTE 3.1.7.6; ADL DMI).
  (c, el) => (CONTAINERS.has(el) ? refuse(c.api, el, 401, "Undefined Data Model Element") : undefined),
  // long_identifier_type (RTE 4.1.1.5): a "urn:" identifier must be a URN (RFC 2141:
  // urn:<NID>:<NSS>) and no identifier holds white space; scorm-again takes "urn:" and "a b".
  (c, el, v) => (ID_ELEMENT.test(el) && !validURN(v) ? refuse(c.api, el, 406, "Data Model Element Type Mismatch") : undefined),
  // adl.data holds the stores the manifest maps, no more (RTE 4.3; ADL DMI: 351); scorm-again
  // creates a store past adl.data._count.
  (c, el) => {
    const bucket = STORE.exec(el);
    if (!bucket) return undefined;
    const count = String(c.getValue("adl.data._count"));
    return /^\d+$/.test(count) && Number(bucket[1]) >= Number(count)
      ? refuse(c.api, el, 351, "General Set Failure") : undefined;
  },
  (c, el) => {
    const entry = ENTRY.exec(el);
    if (!entry) return undefined;
    // "01" is no index of a collection (RTE 4.1.1.2): 351 General Set Failure; scorm-again reads
    // it as index 1.
    if (entry[2].length > 1 && entry[2].startsWith("0")) return refuse(c.api, el, 351, "General Set Failure");
    // A new objective / interaction starts with its id (RTE 4.2.9.1, 4.2.17): anything else is
    // 408 Data Model Dependency Not Established (ADL DMI), and no entry is created; scorm-again
    // creates the entry.
    const count = String(c.getValue(`cmi.${entry[1]}._count`));
    return /^\d+$/.test(count) && Number(entry[2]) === Number(count) && entry[3] !== "id"
      ? refuse(c.api, el, 408, "Data Model Dependency Not Established") : undefined;
  },
  // time (second,10,0) (RTE 4.1.1.7): years 1970-2038, at most two decimals; scorm-again takes
  // "2004-04-01T09:45:58.025".
  (c, el, v) => (TIME_ELEMENT.test(el) && !validTime(v) ? refuse(c.api, el, 406, "Data Model Element Type Mismatch") : undefined),
  // timeinterval (second,10,2) (RTE 4.1.1.6, ISO 8601): "T" only before hours, minutes or
  // seconds, and never alone; scorm-again takes "P1Y6M14D4H15M6.34S" with its fractional excess.
  (c, el, v) => (DURATION_ELEMENT.test(el) && !validDuration(v) ? refuse(c.api, el, 406, "Data Model Element Type Mismatch") : undefined),
];

// Type-aware response formats (RTE 4.2.9.1 / 4.2.9.2): scorm-again both takes malformed ones
// ("{}{[]}" as a choice) and refuses valid ones ("[,]" as a fill-in pattern). Returns
// {refused, valid}: refused is "false" when the value is malformed for its interaction's type;
// valid is validResponse's answer (true / false / undefined for an unknown type).
function checkResponse(c, element, value, response) {
  const n = response[1];
  const type = c.quietGet(`cmi.interactions.${n}.type`);
  const count = Number(c.quietGet(`cmi.interactions.${n}.correct_responses._count`));
  const valid = validResponse(type, value, response[2] !== "learner_response");
  const k = response[3] === undefined ? -1 : Number(response[3]);
  // a pattern past the end, or past the one pattern these types take, is scorm-again's 351
  const deferred = k > count || (k === count && count >= 1 && SINGLE_PATTERN.has(type));
  if (valid === false && !deferred) return { refused: refuse(c.api, element, 406, "Data Model Element Type Mismatch"), valid };
  return { refused: undefined, valid };
}

// An interaction's id may change (ADL DMI: cmi.interactions.0.id set again -> true/0; RTE 4.2.9
// lets a SCO journal or rename); scorm-again answers 351 once the id is set: clear its flag.
function allowNewInteractionId(api, element, value) {
  if (!/^cmi\.interactions\.\d+\.id$/.test(element)) return;
  const entry = api.cmi && api.cmi.interactions && api.cmi.interactions.childArray[Number(element.split(".")[2])];
  if (entry && "_idIsSet" in entry && validURN(value) && value !== "") entry._idIsSet = false;
}

// A response valid for its type (checkResponse) that scorm-again's own format check refuses (406):
// store it in the private field and answer "true"/0.
function storeValidResponse(c, element, value, response) {
  const api = c.api;
  const interaction = api.cmi.interactions.childArray[Number(response[1])];
  const holder = response[3] === undefined ? interaction
    : interaction && interaction.correct_responses && interaction.correct_responses.childArray[Number(response[3])];
  const field = response[3] === undefined ? "_learner_response" : "_pattern";
  if (!holder || !(field in holder)) return "false";
  holder[field] = String(value);
  if (value === "") c.setEmpty.add(element);
  api.lastErrorCode = "0";
  return "true";
}

// real(10,7) range 0..* (RTE 4.2.13.3) includes 0: scorm-again answers 407 for
// cmi.learner_preference.delivery_speed "0.0"; store it.
function acceptZeroSpeed(c, element, value) {
  if (element !== "cmi.learner_preference.delivery_speed" || c.api.lastErrorCode !== "407" ||
      !/^\d+(\.\d+)?$/.test(String(value)) || Number(value) !== 0) return undefined;
  const [holder] = leafHolder(c.api, element);
  if (!holder || !("_delivery_speed" in holder)) return undefined;
  holder._delivery_speed = String(value);
  c.api.lastErrorCode = "0";
  return "true";
}

// characterstring elements accept the empty string (RTE 4.2.15 cmi.location, 4.2.25 suspend_data:
// SPM minimums, no minimum length; ADL DMI sets each to "" and expects true/0), and so do the
// responses of the EMPTY_TYPES; scorm-again answers 406. Store "" and remember it, so that
// GetValue answers ""/0 rather than 403 Not Initialized.
function acceptEmpty(c, element, value) {
  if (value !== "" || c.api.lastErrorCode !== "406") return undefined;
  const response = RESPONSE.exec(element);
  const ok = EMPTY_OK.test(element) || (response && EMPTY_TYPES.has(c.quietGet(`cmi.interactions.${response[1]}.type`)));
  if (!ok) return undefined;
  const [holder, leaf] = leafHolder(c.api, element);
  if (!holder || !(("_" + leaf) in holder)) return undefined;
  holder["_" + leaf] = "";
  c.setEmpty.add(element);
  c.api.lastErrorCode = "0";
  return "true";
}

// SetValue after Initialize: the checks, scorm-again's own SetValue, then the corrections.
function setChecked(c, element, value) {
  for (const check of SET_CHECKS) {
    const out = check(c, element, value);
    if (out !== undefined) return out;
  }
  const response = RESPONSE.exec(element);
  const checked = response ? checkResponse(c, element, value, response) : { refused: undefined, valid: undefined };
  if (checked.refused !== undefined) return checked.refused;
  allowNewInteractionId(c.api, element, value);
  const arrays = collectionsOn(c.api, element);
  const lengths = arrays.map((a) => a.childArray.length);
  let out = c.setValue(element, value);
  if (out === "false" && checked.valid === true && c.api.lastErrorCode === "406") {
    out = storeValidResponse(c, element, value, response);
  }
  if (out === "false") {
    // A refused SetValue on a new index leaves no entry behind (ADL DMI: SetValue
    // cmi.objectives.1.id "" -> 406, then cmi.objectives.1.id is 301); scorm-again keeps the
    // empty child it created before checking the value.
    arrays.forEach((a, i) => { if (a.childArray.length > lengths[i]) a.childArray.length = lengths[i]; });
  }
  if (out !== "false") return out;
  return acceptZeroSpeed(c, element, value) ?? acceptEmpty(c, element, value) ?? out;
}

// GetValue after Initialize; undefined: let scorm-again answer.
function getChecked(c, element) {
  const api = c.api;
  // GetValue("cmi") and other containers: 401 Undefined Data Model Element (RTE 3.1.7.6; ADL DMI);
  // scorm-again answers "" with another code.
  if (CONTAINERS.has(element)) return refuseGet(api, element, 401, "Undefined Data Model Element");
  const target = TARGETED.exec(element);
  const rv = api.adl && api.adl.nav && api.adl.nav.request_valid;
  if (target && rv && api[LOOKAHEAD]) {
    // The look-ahead loaded by setRequestValid (RTE 4.4.3); scorm-again would ask its own
    // (empty) sequencer and answer "false" (ADL CM-04b, DMI).
    const holder = target[1] === "choice" ? rv._choice : rv._jump;
    const v = holder && holder.getAll ? holder.getAll()[target[2]] : undefined;
    api.lastErrorCode = "0";
    return v === "true" ? "true" : "false"; // not in the look-ahead: not a valid request now
  }
  // GetValue past the end of a collection: 301 General Get Failure (RTE 3.1.7.4, ADL DMI:
  // cmi.objectives.0.id with no objectives); scorm-again answers 403.
  if (!indicesExist(c, element)) return refuseGet(api, element, 301, "General Get Failure");
  // adl.data.n.store set to "": read back as never set (403, ADL DMI); scorm-again answers ""/0.
  if (c.emptyStores.has(element)) return refuseGet(api, element, 403, "Data Model Element Value Not Initialized");
  return undefined;
}

const refuseGet = (api, element, code, message) => {
  api.throwSCORMError(element, code, message);
  return "";
};

/** Correct scorm-again's Scorm2004API in place (SetValue, GetValue, Terminate, loadFromJSON) where
 * it departs from ADL's run-time tests; returns API. Also records what snapshot() reads: the
 * elements the SCO set (elementsSetBySco) and adl.nav.request at Terminate (navRequest). */
export function conform(api) {
  const getValue = api.GetValue.bind(api);
  const c = {
    api, getValue, setValue: api.SetValue.bind(api),
    setEmpty: new Set(), // set to "" by the SCO: initialized, so GetValue answers ""/0
    emptyStores: new Set(), // adl.data.n.store set to "": read back as never set
    // A read that leaves the SCO's last error code as it was.
    quietGet: (element) => {
      const err = api.lastErrorCode;
      const value = String(getValue(element));
      api.lastErrorCode = err;
      return value;
    },
  };
  // Every element the SCO set successfully in this session; snapshot() stores it (runtime-data.js
  // SET_KEY) so the server can tell "set to unknown" from "never set" (ADL CO-13a vs CO-06).
  const setBySco = (api[SET_ELEMENTS] = new Set());
  const initialized = () => api.isInitialized();
  api.SetValue = (element, value) => {
    const el = String(element);
    const out = initialized() ? setChecked(c, el, value) : c.setValue(element, value);
    if (out === "true") {
      setBySco.add(el);
      if (/^adl\.data\.\d+\.store$/.test(el)) {
        if (value === "") c.emptyStores.add(el); else c.emptyStores.delete(el);
      }
    }
    return out;
  };
  api.GetValue = (element) => {
    const el = String(element);
    // RTE 3.1.7: every successful call sets the error code to 0. scorm-again answers
    // cmi.completion_status / success_status (and request_valid through its validator) without
    // touching it, so a 403 from the read before stayed (Storyline reads it after every GetValue).
    // Every failure below sets its own code.
    if (initialized()) api.lastErrorCode = "0";
    const answer = initialized() ? getChecked(c, el) : undefined;
    if (answer !== undefined) return answer;
    const got = getValue(element);
    // set to "" through acceptEmpty / storeValidResponse: initialized, so ""/0 (not 403)
    if (got === "" && api.lastErrorCode === "403" && c.setEmpty.has(el)) api.lastErrorCode = "0";
    return got;
  };
  const terminate = api.Terminate.bind(api);
  api.Terminate = (arg) => {
    // scorm-again resets adl.nav.request to "_none_" at Terminate; the player and snapshot() need
    // the SCO's request (SN 4.4.1, RTE 4.4.1): keep it.
    const nav = api.adl && api.adl.nav ? api.adl.nav.request : undefined;
    const out = terminate(arg);
    if (String(out) === "true") api[NAV_AT_TERMINATE] = nav;
    return out;
  };
  const load = api.loadFromJSON.bind(api);
  api.loadFromJSON = (json, ...rest) => loadKeepingResponses(c, load, json, rest);
  return api;
}

// ------------------------------------------------------------------ SCORM 1.2 corrections

const FINISHED_12 = "301"; // SCORM 1.2 RTE 3.3.2.1: Not initialized (after LMSFinish as before LMSInitialize)

/** Correct scorm-again's Scorm12API in place: after a successful LMSFinish the session is over
 * (SCORM 1.2 RTE 3.3.2.1 / 3.4.3), so LMSGetValue answers "" and LMSSetValue, LMSCommit and a
 * second LMSFinish answer "false", each with 301, and nothing changes; scorm-again takes the
 * values (an unload handler's session_time "0000:00:00" and exit "suspend" overwrote what the SCO
 * finished with) and answers a second LMSFinish "true" (101). Returns API. */
export function conform12(api) {
  const after = { LMSGetValue: "", LMSSetValue: "false", LMSCommit: "false", LMSFinish: "false" };
  for (const [name, answer] of Object.entries(after)) {
    const original = api[name].bind(api);
    api[name] = (...args) => {
      if (!api.isTerminated()) return original(...args);
      api.throwSCORMError(undefined, Number(FINISHED_12), "The session has ended (LMSFinish); nothing more is accepted");
      api.lastErrorCode = FINISHED_12;
      return answer;
    };
  }
  return api;
}

// Responses stored here (or forced in by acceptAnyResponse) that scorm-again's own format check
// refuses would make loadFromJSON throw at the next launch: load the rest, then put each response
// back as it was stored (RTE 4.2.9: the LMS keeps what the SCO set).
function loadKeepingResponses(c, load, json, rest) {
  const list = json && !rest.length && json.interactions;
  if (!list || typeof list !== "object") return load(json, ...rest);
  json = { ...json, interactions: Array.isArray(list) ? [...list] : { ...list } };
  const held = []; // [interaction index, pattern index or -1, value]
  for (const [i, entry] of Object.entries(json.interactions)) {
    if (!entry || typeof entry !== "object") continue;
    const copy = (json.interactions[i] = { ...entry });
    if ("learner_response" in copy) { held.push([i, -1, copy.learner_response]); delete copy.learner_response; }
    const patterns = copy.correct_responses;
    if (patterns && typeof patterns === "object") {
      for (const [k, p] of Object.entries(patterns)) {
        // (an entry without its pattern is one stored as "": runtime-data.js prunes empty strings)
        if (p && typeof p === "object") held.push([i, k, "pattern" in p ? p.pattern : ""]);
      }
      delete copy.correct_responses;
    }
  }
  const out = load(json, ...rest);
  for (const [i, k, value] of held) restoreResponse(c, i, k, value);
  return out;
}

function restoreResponse(c, i, k, value) {
  const api = c.api;
  const interaction = api.cmi.interactions.childArray[Number(i)];
  if (!interaction || value === undefined || value === null) return;
  if (k === -1) { interaction._learner_response = String(value); return; }
  const patterns = interaction.correct_responses;
  const element = `cmi.interactions.${i}.correct_responses.${k}.pattern`;
  try {
    api.setCMIValue(element, String(value)); // creates the entry (and checks the format)
  } catch (e) {
    // refused by scorm-again's format check: the entry it created first takes the value
  }
  const child = patterns && patterns.childArray[Number(k)];
  if (child && "_pattern" in child) {
    child._pattern = String(value);
    if (String(value) === "") c.setEmpty.add(element);
  }
}

// [the object holding ELEMENT's last segment, that segment] (only for EMPTY_OK paths: every
// segment before the leaf is a container or an index).
function leafHolder(api, element) {
  const parts = element.split(".");
  const leaf = parts.pop();
  let node = api;
  for (const part of parts) {
    if (!node || typeof node !== "object") return [null, leaf];
    node = Array.isArray(node.childArray) && /^\d+$/.test(part) ? node.childArray[Number(part)] : node[part];
  }
  if (!node || typeof node !== "object") return [null, leaf];
  if (!(("_" + leaf) in node)) {
    // scorm-again 3's cmi keeps some leaves in parts (cmi.session._location, cmi.content...)
    const part = Object.values(node).find((v) => v && typeof v === "object" && ("_" + leaf) in v);
    if (part) return [part, leaf];
  }
  return [node, leaf];
}

// The collections (scorm-again CMIArray) named along ELEMENT's path, outermost first.
function collectionsOn(api, element) {
  const out = [];
  const m = /^cmi\.(objectives|interactions)\.(\d+)\.(?:(objectives|correct_responses)\.\d+\.)?/.exec(element);
  if (!m || !api.cmi) return out; // (only these paths: reading a leaf could throw, e.g. write-only cmi.exit)
  const top = api.cmi[m[1]];
  if (!top || !Array.isArray(top.childArray)) return out;
  out.push(top);
  const child = top.childArray[Number(m[2])];
  const sub = m[3] && child ? child[m[3]] : null;
  if (sub && Array.isArray(sub.childArray)) out.push(sub);
  return out;
}

// Whether every collection index in ELEMENT (cmi.objectives.N..., cmi.interactions.N.objectives.M...)
// names an existing entry.
function indicesExist(c, element) {
  const re = /\.(objectives|interactions|correct_responses|comments_from_learner|comments_from_lms|data)\.(\d+)(?=\.)/g;
  let m;
  while ((m = re.exec(element)) !== null) {
    const prefix = element.slice(0, m.index + m[1].length + 1);
    const count = String(c.getValue(prefix + "._count"));
    if (/^\d+$/.test(count) && Number(m[2]) >= Number(count)) return false;
  }
  return true;
}
