// The dispatch shell: the one SCO of a Coursehost dispatch package, run by another LMS. It finds the
// LMS's run-time API (SCORM 1.2 API, SCORM 2004 API_1484_11, or AICC HACP from its launch
// parameters), reads the learner, opens the dispatched course on Coursehost's content origin in a
// frame (a signed dispatch launch), and writes the results the Coursehost player posts to it
// (window.postMessage, accepted only from that origin and that frame) to the LMS on every change,
// finishing the LMS session when the course exits. A refused launch (disabled, expired, at its cap)
// shows Coursehost's message in the frame and nothing reaches the LMS.
// Plain script (LMSs serve it as they like); under Node it only exports its pure parts for tests.
(function (root) {
  "use strict";

  // ---------------------------------------------------------------- pure parts (tests/js/dispatch-shell.test.mjs)

  // SCORM 1.2 cmi.core.lesson_status from Coursehost's completion / success words.
  function lessonStatus(result) {
    if (result.success === "PASSED") return "passed";
    if (result.success === "FAILED") return "failed";
    if (result.completion === "COMPLETED") return "completed";
    return "incomplete";
  }

  // SCORM 1.2 CMITimespan HHHH:MM:SS.SS (RTE 1.2 §3.4.2), also AICC's time.
  function timespan12(seconds) {
    const s = Math.max(0, Number(seconds) || 0);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = Math.round((s % 60) * 100) / 100;
    const pad = (n, w) => String(n).padStart(w, "0");
    const sec = Number.isInteger(rest) ? pad(rest, 2) : rest.toFixed(2).padStart(5, "0");
    return `${pad(h, 4)}:${pad(m, 2)}:${sec}`;
  }

  // SCORM 2004 timeinterval (ISO 8601 duration, RTE 4.1.1.6).
  function duration2004(seconds) {
    const s = Math.max(0, Number(seconds) || 0);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = Math.round((s % 60) * 100) / 100;
    return `PT${h}H${m}M${rest}S`;
  }

  // The values a result gives each run-time family: [element, value] pairs, in writing order.
  function values(family, result) {
    const score = result.score || null;
    const seconds = result.sessionSeconds;
    if (family === "scorm2004") {
      const out = [["cmi.completion_status", { COMPLETED: "completed", INCOMPLETE: "incomplete" }[result.completion] || "unknown"],
                   ["cmi.success_status", { PASSED: "passed", FAILED: "failed" }[result.success] || "unknown"]];
      if (score && typeof score.scaled === "number") {
        out.push(["cmi.score.scaled", String(score.scaled)], ["cmi.score.raw", String(score.raw)],
                 ["cmi.score.min", "0"], ["cmi.score.max", "100"]);
      }
      if (typeof seconds === "number") out.push(["cmi.session_time", duration2004(seconds)]);
      return out;
    }
    const out = [["cmi.core.lesson_status", lessonStatus(result)]];
    if (score && typeof score.raw === "number") {
      out.push(["cmi.core.score.raw", String(score.raw)], ["cmi.core.score.min", "0"], ["cmi.core.score.max", "100"]);
    }
    if (typeof seconds === "number") out.push(["cmi.core.session_time", timespan12(seconds)]);
    return out;
  }

  // The standard API discovery (RTE 1.2 §3.3.6.1, SCORM 2004 RTE 3.1.2.1): this window's parents,
  // then the opener's. NAME is "API" or "API_1484_11".
  function findApi(win, name) {
    const search = (w) => {
      let tries = 0;
      while (w && tries < 500) {
        try {
          if (w[name]) return w[name];
        } catch (err) { /* a cross-origin parent: go on up */ }
        if (!w.parent || w.parent === w) break;
        w = w.parent;
        tries += 1;
      }
      return null;
    };
    return search(win) || (win && win.opener ? search(win.opener) : null);
  }

  // HACP answers: "key=value" lines, case-insensitive keys (AICC CMI001 §6.4.3).
  function parseHacp(text) {
    const out = {};
    for (const line of String(text || "").split(/\r?\n/)) {
      const eq = line.indexOf("=");
      if (eq > 0) out[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
    }
    return out;
  }

  const exported = { lessonStatus, timespan12, duration2004, values, findApi, parseHacp };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = exported;
    return;
  }

  // ---------------------------------------------------------------- the LMS side

  function scormLms(family, api) {
    const v12 = family === "scorm12";
    const call = (m12, m2004, ...args) => String(api[v12 ? m12 : m2004](...args));
    return {
      start() {
        if (call("LMSInitialize", "Initialize", "") !== "true") return null;
        const id = call("LMSGetValue", "GetValue", v12 ? "cmi.core.student_id" : "cmi.learner_id");
        const name = call("LMSGetValue", "GetValue", v12 ? "cmi.core.student_name" : "cmi.learner_name");
        return Promise.resolve({ id, name });
      },
      report(result) {
        for (const [element, value] of values(family, result)) call("LMSSetValue", "SetValue", element, value);
        call("LMSCommit", "Commit", "");
      },
      finish() { call("LMSFinish", "Terminate", ""); },
    };
  }

  function aiccLms() {
    const params = new URLSearchParams(window.location.search);
    const get = (key) => { for (const [k, v] of params) if (k.toLowerCase() === key) return v; return ""; };
    const sid = get("aicc_sid");
    const url = get("aicc_url");
    if (!sid || !url) return null;
    const send = (command, data) => fetch(url, {
      method: "POST", credentials: "include",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ command, version: "3.4", session_id: sid, aicc_data: data || "" }).toString(),
    }).then((r) => r.text()).then(parseHacp);
    return {
      async start() {
        // aicc_data's [Core] lines follow it in the answer: their keys are the answer's own
        const answer = await send("GetParam");
        return { id: answer.student_id || "", name: answer.student_name || "" };
      },
      report(result) {
        const lines = ["[Core]", `Lesson_Status=${lessonStatus(result)}`];
        if (result.score && typeof result.score.raw === "number") lines.push(`Score=${result.score.raw}`);
        if (typeof result.sessionSeconds === "number") lines.push(`Time=${timespan12(result.sessionSeconds)}`);
        send("PutParam", lines.join("\r\n") + "\r\n");
      },
      finish() { send("ExitAU"); },
    };
  }

  function connect(via) {
    if (via === "aicc") return aiccLms();
    const api = findApi(window, via === "scorm2004" ? "API_1484_11" : "API");
    return api ? scormLms(via, api) : null;
  }

  function say(text) {
    const status = document.getElementById("coursehost-status");
    if (status) status.textContent = text;
  }

  async function main() {
    const cfg = JSON.parse(document.getElementById("coursehost-dispatch").textContent);
    const origin = new URL(cfg.contentUrl).origin;
    const lms = connect(cfg.via);
    if (!lms) return say("This course must be launched from a learning management system (no SCORM API was found).");
    const learner = await lms.start();
    if (!learner || !learner.id) return say("The learning management system did not say who the learner is.");
    const query = new URLSearchParams({ via: cfg.via, sig: cfg.sig, learner: learner.id, name: learner.name || "",
                                        origin: window.location.origin });
    if (cfg.cssUrl) query.set("css", cfg.cssUrl);
    const frame = document.createElement("iframe");
    frame.title = document.title || "Course";
    frame.allow = "fullscreen; autoplay";
    let reported = false;
    let finished = false;
    let last = "";
    const finish = () => {
      if (finished || !reported) return; // a refused launch reports nothing
      finished = true;
      lms.finish();
    };
    window.addEventListener("message", (event) => {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      const data = event.data || {};
      if (finished) return;
      if (data.type === "coursehost:result" && data.result) {
        const key = JSON.stringify(data.result);
        if (key === last) return;
        last = key;
        reported = true;
        lms.report(data.result);
      } else if (data.type === "coursehost:exit") {
        if (data.result && JSON.stringify(data.result) !== last) {
          reported = true;
          lms.report(data.result);
        }
        finish();
      }
    });
    window.addEventListener("pagehide", finish);
    frame.src = `${cfg.contentUrl}/dispatch/launch/${encodeURIComponent(cfg.dispatchKey)}?${query}`;
    document.body.replaceChildren(frame);
  }

  root.coursehostShell = exported;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})(typeof window !== "undefined" ? window : globalThis);
