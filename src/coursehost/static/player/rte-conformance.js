// Corrections to scorm-again's Scorm2004API where it departs from the SCORM 2004 4th Edition
// run-time environment as ADL's LMS test suite checks it (tests/conformance/scorm2004 measures them).
// conform(api) wraps the instance in place and returns it; setRequestValid(api, look) loads the
// sequencing engine's look-ahead into adl.nav.request_valid.

/** The engine's look-ahead ({continue, previous, choice: {id: bool}, jump: {id: bool}}) into
 * adl.nav.request_valid (RTE 4.4.3). */
export function setRequestValid(api, look) {
  const rv = api && api.adl && api.adl.nav && api.adl.nav.request_valid;
  if (!rv || !look) return;
  const tf = (v) => (v ? "true" : "false");
  if ("continue" in look) rv._continue = tf(look.continue);
  if ("previous" in look) rv._previous = tf(look.previous);
  const map = (m) => Object.fromEntries(Object.entries(m || {}).map(([k, v]) => [k, tf(v)]));
  if (rv._choice && rv._choice.setAll) rv._choice.setAll(map(look.choice));
  if (rv._jump && rv._jump.setAll) rv._jump.setAll(map(look.jump));
}

// Containers, not data model elements: SetValue on them is 401 "Undefined Data Model Element"
// (RTE 3.1.7.6; ADL DMI: SetValue("cmi", ...) -> "false"/401, scorm-again answers "true"/0).
const CONTAINERS = new Set(["cmi", "adl", "adl.nav", "adl.data", "cmi.objectives", "cmi.interactions",
  "cmi.learner_preference", "cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.score"]);

const EMPTY_OK = new Set(["cmi.location", "cmi.suspend_data"]);

export function conform(api) {
  const setEmpty = new Set(); // set to "" by the SCO: initialized, so GetValue answers ""/0
  const setValue = api.SetValue.bind(api);
  api.SetValue = (element, value) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "false";
    }
    const out = setValue(element, value);
    // characterstring elements accept the empty string (RTE 4.2.15 cmi.location, 4.2.25
    // suspend_data: SPM minimums, no minimum length); scorm-again answers 406.
    if (out === "false" && value === "" && EMPTY_OK.has(String(element)) && api.lastErrorCode === "406") {
      api.cmi["_" + String(element).slice(4)] = "";
      setEmpty.add(String(element));
      api.lastErrorCode = "0";
      return "true";
    }
    return out;
  };
  const getValue = api.GetValue.bind(api);
  api.GetValue = (element) => {
    if (CONTAINERS.has(String(element)) && api.isInitialized && api.isInitialized()) {
      api.throwSCORMError(String(element), 401, "Undefined Data Model Element");
      return "";
    }
    const got = getValue(element);
    if (got === "" && api.lastErrorCode === "403" && setEmpty.has(String(element))) {
      api.lastErrorCode = "0";
    }
    return got;
  };
  return api;
}
