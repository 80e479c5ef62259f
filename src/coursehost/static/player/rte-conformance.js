// Corrections to scorm-again's Scorm2004API where it departs from the SCORM 2004 4th Edition
// run-time environment as ADL's LMS test suite checks it (tests/conformance/scorm2004 measures them).
// conform(api) wraps the instance in place (SetValue, GetValue, Terminate) and returns it; it also
// records what snapshot() needs (the elements the SCO set, adl.nav.request at Terminate).
// setRequestValid(api, look) loads the sequencing engine's look-ahead into adl.nav.request_valid.

import { NAV_AT_TERMINATE, SET_ELEMENTS } from "./runtime-data.js";

/** The engine's look-ahead ({continue, previous, choice, jump}; choice / jump either {id: bool} or
 * the list of valid ids, the player's nav shape) into adl.nav.request_valid (RTE 4.4.3). Once
 * loaded, conform's GetValue answers request_valid.choice / jump.{target=id} from it ("false" for
 * ids it does not list) instead of scorm-again's own sequencer or scoItemIdValidator. */
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

// Containers, not data model elements: SetValue on them is 401 "Undefined Data Model Element"
// (RTE 3.1.7.6; ADL DMI: SetValue("cmi", ...) -> "false"/401, scorm-again answers "true"/0).
const CONTAINERS = new Set(["cmi", "adl", "adl.nav", "adl.data", "cmi.objectives", "cmi.interactions",
  "cmi.learner_preference", "cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.score"]);

const LOOKAHEAD = "coursehostLookahead"; // setRequestValid loaded the engine's look-ahead
const TARGETED = /^adl\.nav\.request_valid\.(choice|jump)\.\{target=([^}]*)\}$/;
const ID_ELEMENT = /^cmi\.(objectives|interactions)\.\d+\.(objectives\.\d+\.)?id$/;
const validURN = (v) => {
  const s = String(v);
  if (/\s/.test(s)) return false;
  return !/^urn:/i.test(s) || /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(s);
};

const ENTRY = /^cmi\.(objectives|interactions)\.(\d+)\.(.+)$/;
const TIME_ELEMENT = /^cmi\.(comments_from_learner|interactions)\.\d+\.timestamp$/;
const TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,2}(?:Z|[+-](\d{2})(?::(\d{2}))?)?)?)?)?)?)?)?$/;
const validTime = (v) => {
  const m = TIME.exec(String(v));
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, tzh, tzm] = m.map((x) => (x === undefined ? undefined : Number(x)));
  const within = (x, lo, hi) => x === undefined || (x >= lo && x <= hi);
  return within(y, 1970, 2038) && within(mo, 1, 12) && within(d, 1, 31) && within(h, 0, 23) &&
    within(mi, 0, 59) && within(sec, 0, 59) && within(tzh, 0, 23) && within(tzm, 0, 59);
};
const DURATION_ELEMENT = /^cmi\.(session_time|interactions\.\d+\.latency)$/;
const validDuration = (v) =>
  /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/.test(String(v));

// Elements whose type takes the empty string (characterstrings without a minimum length, RTE 4.2;
// ADL DMI sets each of these to "" and expects true/0); scorm-again answers 406 for some.
const EMPTY_OK = new RegExp("^cmi\\.(location|suspend_data|exit|learner_preference\\.language|" +
  "comments_from_learner\\.\\d+\\.(comment|location)|(objectives|interactions)\\.\\d+\\.description)$");
// ... and responses of interaction types whose format takes it (RTE 4.2.9.2: an empty choice set,
// an empty fill-in / long-fill-in / other string; not true-false, numeric, ...: 406).
const RESPONSE = /^cmi\.interactions\.(\d+)\.(learner_response|correct_responses\.\d+\.pattern)$/;
const EMPTY_TYPES = new Set(["choice", "fill-in", "long-fill-in", "other"]);

export function conform(api) {
  const setEmpty = new Set(); // set to "" by the SCO: initialized, so GetValue answers ""/0
  // Every element the SCO set successfully in this session; snapshot() stores it (runtime-data.js
  // SET_KEY) so the server can tell "set to unknown" from "never set" (ADL CO-13a vs CO-06).
  const setBySco = new Set();
  api[SET_ELEMENTS] = setBySco;
  const setValue = api.SetValue.bind(api);
  const emptyStores = new Set(); // adl.data.n.store set to "": read back as never set (403, ADL DMI)
  api.SetValue = (element, value) => {
    const out = setValueChecked(element, value);
    if (out === "true") {
      setBySco.add(String(element));
      if (/^adl\.data\.\d+\.store$/.test(String(element))) {
        if (value === "") emptyStores.add(String(element)); else emptyStores.delete(String(element));
      }
    }
    return out;
  };
  const setValueChecked = (element, value) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "false";
    }
    if (ID_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validURN(value)) {
      // long_identifier_type (RTE 4.1.1.5): a "urn:" identifier must be a URN (RFC 2141:
      // urn:<NID>:<NSS>) and no identifier holds white space; scorm-again takes "urn:".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    const bucket = /^adl\.data\.(\d+)\./.exec(String(element));
    if (bucket && api.isInitialized && api.isInitialized()) {
      const count = String(getValue("adl.data._count"));
      if (/^\d+$/.test(count) && Number(bucket[1]) >= Number(count)) {
        // adl.data holds the stores the manifest maps, no more (RTE 4.3; ADL DMI: 351)
        api.throwSCORMError(String(element), 351, "General Set Failure");
        return "false";
      }
    }
    const entry = ENTRY.exec(String(element));
    if (entry && api.isInitialized && api.isInitialized()) {
      const count = String(getValue(`cmi.${entry[1]}._count`));
      if (entry[2].length > 1 && entry[2].startsWith("0")) {
        // "01" is no index of a collection (RTE 4.1.1.2): 351 General Set Failure.
        api.throwSCORMError(String(element), 351, "General Set Failure");
        return "false";
      }
      if (/^\d+$/.test(count) && Number(entry[2]) === Number(count) && entry[3] !== "id") {
        // A new objective / interaction starts with its id (RTE 4.2.9.1, 4.2.17): anything else is
        // 408 Data Model Dependency Not Established (ADL DMI), and no entry is created.
        api.throwSCORMError(String(element), 408, "Data Model Dependency Not Established");
        return "false";
      }
    }
    if (TIME_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validTime(value)) {
      // time (second,10,0) (RTE 4.1.1.7): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970-2038,
      // at most two decimals; scorm-again takes "2004-04-01T09:45:58.025".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    if (DURATION_ELEMENT.test(String(element)) && api.isInitialized && api.isInitialized() && !validDuration(value)) {
      // timeinterval (second,10,2) (RTE 4.1.1.6, ISO 8601): "T" only before hours, minutes or
      // seconds, and never alone; scorm-again takes "P1Y6M14D4H15M6.34S".
      api.throwSCORMError(String(element), 406, "Data Model Element Type Mismatch");
      return "false";
    }
    const arrays = collectionsOn(String(element));
    const lengths = arrays.map((a) => a.childArray.length);
    const out = setValue(element, value);
    if (out === "false") {
      // A refused SetValue on a new index leaves no entry behind (ADL DMI: SetValue
      // cmi.objectives.1.id "" -> 406, then cmi.objectives.1.id is 301); scorm-again keeps the
      // empty child it created before checking the value.
      arrays.forEach((a, i) => { if (a.childArray.length > lengths[i]) a.childArray.length = lengths[i]; });
    }
    // characterstring elements accept the empty string (RTE 4.2.15 cmi.location, 4.2.25
    // suspend_data: SPM minimums, no minimum length); scorm-again answers 406.
    const emptyOk = () => {
      if (EMPTY_OK.test(String(element))) return true;
      const response = RESPONSE.exec(String(element));
      if (!response) return false;
      const err = api.lastErrorCode;
      const type = String(getValue(`cmi.interactions.${response[1]}.type`));
      api.lastErrorCode = err;
      return EMPTY_TYPES.has(type);
    };
    if (out === "false" && String(element) === "cmi.learner_preference.delivery_speed" &&
        api.lastErrorCode === "407" && /^\d+(\.\d+)?$/.test(String(value)) && Number(value) === 0) {
      // real(10,7) range 0..* (RTE 4.2.13.3) includes 0; scorm-again answers 407 for "0.0"
      const [holder] = leafHolder(String(element));
      if (holder && "_delivery_speed" in holder) {
        holder._delivery_speed = String(value);
        api.lastErrorCode = "0";
        return "true";
      }
    }
    if (out === "false" && value === "" && api.lastErrorCode === "406" && emptyOk()) {
      const [holder, leaf] = leafHolder(String(element));
      if (holder && ("_" + leaf) in holder) {
        holder["_" + leaf] = "";
        setEmpty.add(String(element));
        api.lastErrorCode = "0";
        return "true";
      }
    }
    return out;
  };
  const terminate = api.Terminate.bind(api);
  api.Terminate = (arg) => {
    const nav = api.adl && api.adl.nav ? api.adl.nav.request : undefined;
    const out = terminate(arg);
    if (String(out) === "true") api[NAV_AT_TERMINATE] = nav; // for snapshot(): scorm-again resets it
    return out;
  };
  const getValue = api.GetValue.bind(api);
  api.GetValue = (element) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "";
    }
    const target = TARGETED.exec(String(element));
    const rv = api.adl && api.adl.nav && api.adl.nav.request_valid;
    if (target && rv && api[LOOKAHEAD] && api.isInitialized && api.isInitialized()) {
      // The look-ahead loaded by setRequestValid (RTE 4.4.3); scorm-again would ask its own
      // (empty) sequencer and answer "false" (ADL CM-04b, DMI).
      const holder = target[1] === "choice" ? rv._choice : rv._jump;
      const v = holder && holder.getAll ? holder.getAll()[target[2]] : undefined;
      api.lastErrorCode = "0";
      return v === "true" ? "true" : "false"; // not in the look-ahead: not a valid request now
    }
    if (api.isInitialized && api.isInitialized() && !outOfRangeChecked(String(element))) {
      // GetValue past the end of a collection: 301 General Get Failure (RTE 3.1.7.4, ADL DMI:
      // cmi.objectives.0.id with no objectives); scorm-again answers 403.
      api.throwSCORMError(String(element), 301, "General Get Failure");
      return "";
    }
    if (emptyStores.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 403, "Data Model Element Value Not Initialized");
      return "";
    }
    const got = getValue(element);
    if (got === "" && api.lastErrorCode === "403" && setEmpty.has(String(element))) {
      api.lastErrorCode = "0";
    }
    return got;
  };
  // [the object holding ELEMENT's last segment, that segment] (only for EMPTY_OK paths: every
  // segment before the leaf is a container or an index).
  function leafHolder(element) {
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
  function collectionsOn(element) {
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
  function outOfRangeChecked(element) {
    const re = /\.(objectives|interactions|correct_responses|comments_from_learner|comments_from_lms|data)\.(\d+)(?=\.)/g;
    let m;
    while ((m = re.exec(element)) !== null) {
      const prefix = element.slice(0, m.index + m[1].length + 1);
      const count = String(getValue(prefix + "._count"));
      if (/^\d+$/.test(count) && Number(m[2]) >= Number(count)) return false;
    }
    return true;
  }
  return api;
}
