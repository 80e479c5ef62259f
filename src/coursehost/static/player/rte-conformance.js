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

export function conform(api) {
  return api;
}
