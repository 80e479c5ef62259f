// Sending run-time data: batched commits with increasing seq (the server applies each seq once),
// retries with backoff, a warning after PlayerCommMaxFailedSubmissions failures, and sendBeacon
// (text/plain, CORS-simple) when the page goes away.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class CommitChannel {
  // WAIT (ms) => Promise: the pause between retries and drain's bound (tests pass their own).
  // ONANSWER: each acknowledged commit's answer (with the registration's rollup, dispatch-bridge.js).
  constructor({ base, token, debug, maxFailures = 2, onWarning = () => {}, onAnswer = () => {}, wait = sleep }) {
    this.base = base;
    this.token = token;
    this.debug = debug;
    this.maxFailures = Math.max(1, maxFailures);
    this.onWarning = onWarning;
    this.onAnswer = onAnswer;
    this.wait = wait;
    this.seq = 0;
    this.dirty = false;
    this.latest = null; // the newest state waiting to be sent
    this.failed = null; // a body that could not be sent (retried as is: same seq)
    this.failures = 0;
    this.pump = null;
    this.provider = null;
    this.stopped = false;
  }

  bind(provider) { this.provider = provider; }

  markDirty() { this.dirty = true; }

  start(frequencyMs) {
    this.timer = setInterval(() => {
      if (!this.dirty || !this.provider) return;
      const snap = this.provider();
      if (snap) this.send(snap);
    }, Math.max(1000, frequencyMs));
  }

  /** Queue STATE ({activityId, runtime, terminated}); resolves once it (or a newer state) is sent. */
  send(state) {
    this.dirty = false;
    if (this.latest && this.latest.activityId === state.activityId) {
      state = { ...state, terminated: state.terminated || this.latest.terminated };
    } else if (this.latest) {
      const earlier = this.latest;
      this.latest = null;
      this._queueBody(this._body(earlier));
    }
    this.latest = state;
    if (this.leaving) {
      // The page is closing: a request that waits for the one in flight never leaves. What the
      // SCO does in one handler (Set, Commit, Finish) goes as one beacon with its log entries,
      // once the handler's call has returned.
      if (!this.beaconDue) {
        this.beaconDue = true;
        queueMicrotask(() => { this.beaconDue = false; this.flushBeacon(); });
      }
      return Promise.resolve();
    }
    if (!this.pump) this.pump = this._run().finally(() => { this.pump = null; });
    return this.pump;
  }

  /** LEAVING: the page is going away (pagehide, beforeunload), so whatever is sent from now on
   * goes by beacon; false when it stays after all (pageshow, visible again). */
  setLeaving(leaving) { this.leaving = leaving; }

  _body(state) {
    this.lastActivity = state.activityId;
    // fresh: sent for the first time; a retry says false, so the server stores the log of an
    // overtaken body (stale seq) only once.
    return { seq: ++this.seq, activityId: state.activityId, runtime: state.runtime,
             terminated: !!state.terminated, log: this.debug.take(), fresh: true };
  }

  // Only debug log entries (calls refused after Finish, events after the last commit): the server
  // stores them under this seq and changes no run-time data.
  _logBody() {
    return { seq: ++this.seq, activityId: this.lastActivity, log: this.debug.take() };
  }

  /** Send the debug log entries no commit has carried (e.g. calls after Finish) before the launch
   * exits; awaited, so they arrive before the exit. */
  async sendLog() {
    if (this.stopped || this.closed || !this.debug.pending() || !this.lastActivity) return;
    const body = this._logBody();
    try {
      await this._post("/commit", body);
    } catch (err) {
      this.debug.putBack(body.log);
    }
  }

  _queueBody(body) {
    (this.queue = this.queue || []).push(body);
  }

  _next() {
    if (this.queue && this.queue.length) return this.queue.shift();
    if (this.failed) {
      const failed = this.failed;
      this.failed = null;
      if (this.latest && this.latest.activityId === failed.activityId) {
        // A newer state of the same SCO supersedes the failed one; keep the failed log entries.
        const body = this._body({ ...this.latest, terminated: this.latest.terminated || failed.terminated });
        body.log = failed.log.concat(body.log);
        this.latest = null;
        return body;
      }
      // Retried as is (same seq), carrying what was logged meanwhile (the failures themselves).
      failed.log = failed.log.concat(this.debug.take());
      failed.fresh = false;
      return failed;
    }
    if (this.latest) {
      const body = this._body(this.latest);
      this.latest = null;
      return body;
    }
    return null;
  }

  async _run() {
    let body;
    while (!this.stopped && (body = this._next())) {
      try {
        const answer = await this._post("/commit", body);
        this.lastSeq = answer && answer.lastSeq;
        if (answer) this.onAnswer(answer);
        if (this.failures >= this.maxFailures) this.onWarning("");
        this.failures = 0;
      } catch (err) {
        if (err.status === 400) { // the server refuses this data: sending it again cannot help
          this.debug.event("commit-refused", { seq: body.seq, message: err.message });
          continue;
        }
        if (err.status === 409 || err.status === 410) { // the launch has exited: its results are final
          this.stopped = true;
          this.debug.event("commit-after-exit", { seq: body.seq, message: err.message });
          return;
        }
        if (err.status === 401 || err.status === 403 || err.status === 404) {
          this.stopped = true;
          this.onWarning("Your session has ended; your latest progress may not be saved. Relaunch the course.");
          return;
        }
        this.failures += 1;
        this.failed = body;
        this.debug.event("commit-failed", { seq: body.seq, attempt: this.failures, error: String(err.message || err) });
        if (this.failures >= this.maxFailures) {
          this.onWarning("Your progress could not be saved. Check your connection; the player keeps trying.");
        }
        await this.wait(Math.min(30000, 500 * 2 ** Math.min(this.failures, 6)) * (0.75 + Math.random() / 2));
      }
    }
  }

  /** Wait (a bounded time) until everything queued is sent. */
  async drain(timeoutMs = 8000) {
    const deadline = Date.now() + timeoutMs;
    while (this.pump && Date.now() < deadline) {
      await Promise.race([this.pump, this.wait(Math.max(0, deadline - Date.now()))]);
    }
  }

  /** Whether anything is not yet acknowledged (queued, newest state, a failed body, unsent changes). */
  pending() {
    return !!((this.queue && this.queue.length) || this.latest || this.failed || this.dirty || this.pump);
  }

  /** The launch has exited: the server takes no more commits, so nothing more is sent. */
  close() {
    this.stopped = true;
    this.closed = true;
  }

  /** The page is going away: send what is not yet sent in one beacon. */
  flushBeacon() {
    if (this.closed) return;
    const current = this.provider && this.dirty ? this.provider() : null;
    const bodies = [];
    if (this.queue && this.queue.length) bodies.push(...this.queue.splice(0));
    let state = current || this.latest;
    if (this.latest && current && this.latest.activityId !== current.activityId) {
      bodies.push(this._body(this.latest));
      state = current;
    }
    this.latest = null;
    if (this.failed) {
      const failed = this.failed;
      this.failed = null;
      if (state && state.activityId === failed.activityId) {
        const body = this._body({ ...state, terminated: state.terminated || failed.terminated });
        body.log = failed.log.concat(body.log);
        bodies.push(body);
        state = null;
      } else bodies.push({ ...failed, fresh: false });
    }
    if (state) bodies.push(this._body(state));
    else if (this.debug.pending() && bodies.length) bodies[bodies.length - 1].log.push(...this.debug.take());
    else if (this.debug.pending() && this.lastActivity) bodies.push(this._logBody());
    this.dirty = false;
    for (const body of bodies) this._beacon("/commit", body);
  }

  beaconExit() { this._beacon("/exit", {}); }

  // A request that must leave with the page (sendBeacon, the token in the query).
  beacon(path, body) { return this._beacon(path, body); }

  _beacon(path, body) {
    const url = `${this.base}${path}${path.includes("?") ? "&" : "?"}t=${encodeURIComponent(this.token)}`;
    const text = JSON.stringify(body);
    const blob = new Blob([text], { type: "text/plain;charset=UTF-8" });
    if (navigator.sendBeacon && navigator.sendBeacon(url, blob)) return true;
    try {
      fetch(url, { method: "POST", body: text, keepalive: text.length < 60000,
                   headers: { "Content-Type": "text/plain;charset=UTF-8" } });
      return true;
    } catch (err) {
      return false;
    }
  }

  async _request(method, path, body) {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const response = await fetch(this.base + path, {
      method, body: text, credentials: "omit", cache: "no-store",
      keepalive: !!text && text.length < 60000,
      headers: { "X-Player-Token": this.token, ...(text ? { "Content-Type": "application/json" } : {}) },
    });
    let answer = null;
    try { answer = await response.json(); } catch (err) { answer = null; }
    if (!response.ok) {
      const error = new Error((answer && answer.message) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  _post(path, body) { return this._request("POST", path, body); }

  post(path, body) { return this._request("POST", path, body); }

  get(path) { return this._request("GET", path); }
}
