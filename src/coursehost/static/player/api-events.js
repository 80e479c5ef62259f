// The run-time API's functions per SCORM version, and the player's hooks on them through
// scorm-again's documented listeners (api.on, README "SCORM 1.2 / 2004 Listeners").
import { isTerminated, navRequest } from "./scorm-again-adapter.js";

/** The API functions of SCORM 1.2 (RTE 3.4.3) and SCORM 2004 (RTE 3.1), by role. */
export const METHODS = {
  "1.2": { init: "LMSInitialize", finish: "LMSFinish", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
           err: "LMSGetLastError", str: "LMSGetErrorString", diag: "LMSGetDiagnostic" },
  "2004": { init: "Initialize", finish: "Terminate", get: "GetValue", set: "SetValue", commit: "Commit",
            err: "GetLastError", str: "GetErrorString", diag: "GetDiagnostic" },
};

/** What debuglog.recordCalls needs for SCORM version SCORM ("1.2" or "2004"). */
export function auditedMethods(scorm) {
  const m = METHODS[scorm];
  return { names: Object.values(m), lastError: m.err, quiet: [m.err, m.str, m.diag] };
}

/** Call HOOKS as the SCO uses API (SCORM version SCORM):
 * initialized() once Initialize succeeded; changed(element) on a SetValue that passed the state
 * checks (scorm-again fires it before its result is known, also for a value it then refuses);
 * committed() once Commit succeeded; terminated(navRequest) once Terminate succeeded, with the
 * SCO's adl.nav.request (SCORM 2004; undefined for 1.2). Each runs inside the SCO's call, after
 * scorm-again has done its work and before the call returns. */
export function listen(api, scorm, hooks) {
  const m = METHODS[scorm];
  api.on(m.init, () => hooks.initialized());
  api.on(m.set, (element) => hooks.changed(element));
  api.on(m.commit, () => hooks.committed());
  // scorm-again also fires it when storing the data failed (the SCO gets "false"): only a
  // successful Terminate ends the session.
  api.on(m.finish, () => { if (isTerminated(api)) hooks.terminated(navRequest(api)); });
  return api;
}

/** Run the jobs the hooks put in QUEUE once the SCO's Commit / Finish has returned through every
 * wrapper (the debug log's too): the commit it asked for then carries the log entry of that call
 * (the audit trail arrives with the data, also from an unload handler). Returns API. */
export function afterCalls(api, scorm, queue) {
  const m = METHODS[scorm];
  for (const name of [m.commit, m.finish]) {
    const call = api[name];
    api[name] = (...args) => {
      try {
        return call(...args);
      } finally {
        for (const job of queue.splice(0)) job();
      }
    };
  }
  return api;
}
