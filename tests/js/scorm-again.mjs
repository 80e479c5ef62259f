// The real scorm-again dist (the version package-lock.json pins, in node_modules) for the tests,
// with the settings player.js gives it.
import { Scorm12API } from "../../node_modules/scorm-again/dist/esm/scorm12.js";
import { Scorm2004API } from "../../node_modules/scorm-again/dist/esm/scorm2004.js";
import { conform } from "../../src/coursehost/static/player/scorm-again-adapter.js";

export const SETTINGS = { autocommit: false, lmsCommitUrl: false, logLevel: 5, sendFullCommit: true,
  autoCompleteLessonStatus: false, mastery_override: false };

/** A SCORM 2004 API (conformed unless RAW), loaded with JSON, initialized unless NOINIT. */
export function api2004({ raw = false, json = null, init = true, settings = {} } = {}) {
  const api = new Scorm2004API({ ...SETTINGS, ...settings });
  if (!raw) conform(api);
  if (json) api.loadFromJSON(json);
  if (init) api.Initialize("");
  return api;
}

/** A SCORM 1.2 API, loaded with JSON, initialized unless NOINIT. */
export function api12({ json = null, init = true, settings = {} } = {}) {
  const api = new Scorm12API({ ...SETTINGS, ...settings });
  if (json) api.loadFromJSON(json);
  if (init) api.LMSInitialize("");
  return api;
}

/** [result, error code] of API's function FN with ARGS (SCORM 1.2 or 2004). */
export function call(api, fn, ...args) {
  const result = api[fn](...args);
  const lastError = fn.startsWith("LMS") ? api.LMSGetLastError() : api.GetLastError();
  return [String(result), String(lastError)];
}
