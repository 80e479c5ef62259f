// The player's debug log: every run-time API call (method, arguments, result, error code) and
// player event, sent to the server with the next commit (launch history "historyLog").
const MAX_ARG = 4000;
const MAX_ENTRIES = 5000;

export class DebugLog {
  constructor({ rte = true, rteDetailed = false, control = true, timestamps = true } = {}) {
    this.opts = { rte, rteDetailed, control, timestamps };
    this.entries = [];
  }

  push(entry) {
    if (this.opts.timestamps) entry.timestamp = new Date().toISOString();
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }

  api(method, args, result, errorCode, activityId, { detailedOnly = false } = {}) {
    if (!this.opts.rte || (detailedOnly && !this.opts.rteDetailed)) return;
    this.push({
      type: "runtime", activityId, method,
      args: Array.from(args, (a) => String(a ?? "").slice(0, MAX_ARG)),
      result: String(result ?? "").slice(0, MAX_ARG), errorCode: String(errorCode ?? "0"),
    });
  }

  event(name, data = {}) {
    if (this.opts.control) this.push({ type: "event", event: name, ...data });
  }

  control(name, data = {}) {
    if (this.opts.control) this.push({ type: "control", event: name, ...data });
  }

  take() { return this.entries.splice(0); }

  putBack(entries) { if (entries && entries.length) this.entries.unshift(...entries); }

  pending() { return this.entries.length; }
}

/** Record every call of the run-time API's functions (METHODS.names; METHODS.lastError reads the
 * error code, METHODS.quiet are logged only in detailed mode) in LOG, with the activity
 * ACTIVITY() names. A wrapper, not scorm-again's api.on() listeners: those carry neither the
 * result nor the error code, fire only for calls that pass scorm-again's state checks (no
 * GetValue before Initialize, no second Terminate), skip GetValue("cmi.completion_status") and
 * ("cmi.success_status"), and would also report the adapter's own reads; the RTE audit (launch
 * history) shows every call the SCO made, as it got it. Wraps last, over the adapter's patches. */
export function recordCalls(api, methods, log, activity) {
  const original = {};
  for (const name of methods.names) original[name] = api[name].bind(api);
  for (const name of methods.names) {
    api[name] = (...args) => {
      const result = original[name](...args);
      const code = String(original[methods.lastError]());
      log.api(name, args, result, code, activity(), { detailedOnly: methods.quiet.includes(name) });
      return result;
    };
  }
  return api;
}
