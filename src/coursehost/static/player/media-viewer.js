// The viewer of a media course (a single PDF, MP4 or MP3; domain/courses/packages/parsers/media.py
// writes the course's index.html, which names this script). One script for every media course, on
// the content origin, so a fix here reaches courses imported before it.
//
// - PDF: pdf.js (static/vendor/pdfjs, from npm pdfjs-dist) renders each page on a canvas; the pages
//   the learner has seen are tracked. Previous / Next buttons, a page number field, and the keys
//   ArrowLeft / ArrowRight, PageUp / PageDown, Home / End.
// - Video and audio: the browser's players; the time actually played is tracked (seeking ahead adds
//   nothing, a part played twice counts once).
// - cmi5 AU (cmi5 Quartz §8-§10) against the LRS named by the launch: the auth token from the fetch
//   URL, LMS.LaunchData (context template, launch mode, launchParameters with the completion rule,
//   returnURL), "initialized", "progressed" with the progress extension as the learner advances,
//   "completed" then "passed" once the rule is met (Normal launch mode only), "terminated" when the
//   learner leaves (Exit button or closing the page). Where the learner was (page or position, what
//   was seen or played) is kept in the State resource and the next launch resumes there.
// Opened without launch parameters (a preview) it only shows the media and makes no request.

import { completionRule, meetsRule, PagesSeen, PlayTracker, readSaved } from "./media-tracking.js";

const ADL = "http://adlnet.gov/expapi/verbs/";
const VERBS = { initialized: ADL + "initialized", progressed: ADL + "progressed", completed: ADL + "completed",
                passed: ADL + "passed", terminated: ADL + "terminated" };
const CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
const MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon";
const PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress";
const PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments";
const LENGTH = "https://w3id.org/xapi/video/extensions/length";
export const STATE_ID = "https://coursehost.dev/xapi/state/media-viewer";
const PDFJS = new URL("../vendor/pdfjs/", import.meta.url);

const $ = (id) => document.getElementById(id);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}
function say(text) { const s = $("status"); if (s) s.textContent = text; }
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = crypto.getRandomValues(new Uint8Array(1))[0] & 15;
    return (c === "x" ? r : (r & 3) | 8).toString(16);
  });
}
function isoDuration(ms) { return "PT" + (Math.max(0, ms) / 1000).toFixed(2) + "S"; }

// ---------------------------------------------------------------- the cmi5 side

/** The launch's parameters (cmi5 §8.1) from the page's query, or null for a preview. */
function readLaunch() {
  const q = new URLSearchParams(location.search);
  const p = { endpoint: q.get("endpoint"), fetch: q.get("fetch"), actor: q.get("actor"),
              registration: q.get("registration"), activityId: q.get("activityId") };
  if (!p.endpoint || !p.fetch || !p.actor || !p.registration || !p.activityId) return null;
  try { p.actor = JSON.parse(p.actor); } catch (e) { return null; }
  if (!p.endpoint.endsWith("/")) p.endpoint += "/";
  return p;
}

/** One AU session: statements go out in order, a batch at a time (an array in one POST). */
class Au {
  constructor(p) {
    this.p = p;
    this.token = null;
    this.launchData = {};
    this.pending = [];
    this.inflight = null;
    this.started = Date.now();
    this.terminated = false;
    this.failures = 0;
  }

  headers(json) {
    const h = { "Authorization": "Basic " + this.token, "X-Experience-API-Version": "1.0.3" };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  stateUrl(stateId) {
    return this.p.endpoint + "activities/state?" + new URLSearchParams({
      stateId, activityId: this.p.activityId, agent: JSON.stringify(this.p.actor), registration: this.p.registration });
  }

  /** The token (§8.2), LMS.LaunchData (§10) and our saved State; throws when the LMS cannot be reached. */
  async start() {
    const answer = await fetch(this.p.fetch, { method: "POST" });
    const data = await answer.json();
    if (!data || !data["auth-token"]) throw new Error((data && data["error-text"]) || "no auth token");
    this.token = data["auth-token"];
    const ld = await fetch(this.stateUrl("LMS.LaunchData"), { headers: this.headers() });
    if (!ld.ok) throw new Error("LMS.LaunchData: " + ld.status);
    this.launchData = (await ld.json()) || {};
    // cmi5 11.0: an AU reads the learner preferences before it sends initialized (the LMS checks it).
    try {
      await fetch(this.p.endpoint + "agents/profile?" + new URLSearchParams({
        profileId: "cmi5LearnerPreferences", agent: JSON.stringify(this.p.actor) }), { headers: this.headers() });
    } catch (e) { /* preferences are advisory: a viewer without them still plays */ }
    let saved = null;
    try {
      const st = await fetch(this.stateUrl(STATE_ID), { headers: this.headers() });
      saved = st.ok ? await st.json() : null;
    } catch (e) { saved = null; }
    return saved;
  }

  get normal() { return (this.launchData.launchMode || "Normal") === "Normal"; }

  statement(verb, { result, cmi5 = true, moveOn = false, definition } = {}) {
    const context = JSON.parse(JSON.stringify(this.launchData.contextTemplate || {}));
    context.registration = this.p.registration;
    context.contextActivities = context.contextActivities || {};
    if (cmi5) {
      const cats = context.contextActivities.category || [];
      cats.push({ id: CMI5_CATEGORY, objectType: "Activity" });
      if (moveOn) cats.push({ id: MOVEON_CATEGORY, objectType: "Activity" });
      context.contextActivities.category = cats;
    }
    const object = { id: this.p.activityId, objectType: "Activity" };
    if (definition) object.definition = definition;
    const s = { id: uuid(), timestamp: new Date().toISOString(), actor: this.p.actor,
                verb: { id: VERBS[verb], display: { "en-US": verb } }, object, context };
    if (result) s.result = result;
    return s;
  }

  /** Queue STATEMENTS; the promise settles once they have been sent. */
  send(statements) {
    if (this.terminated) return Promise.resolve();
    this.pending.push(...statements);
    return this.flush();
  }

  flush() {
    if (this.inflight) return this.inflight.then(() => (this.pending.length ? this.flush() : undefined));
    if (!this.pending.length) return Promise.resolve();
    const batch = this.pending.splice(0);
    this.inflight = this.post(batch).finally(() => { this.inflight = null; });
    return this.inflight.then(() => (this.pending.length ? this.flush() : undefined));
  }

  async post(batch, keepalive = true) {
    try {
      const r = await fetch(this.p.endpoint + "statements", { method: "POST", headers: this.headers(true),
                                                              body: JSON.stringify(batch), keepalive });
      if (!r.ok) {
        this.failures += 1;
        say("Progress could not be saved (" + r.status + ").");
      }
      return r.ok;
    } catch (e) {
      this.failures += 1;
      say("Progress could not be saved.");
      return false;
    }
  }

  saveState(doc, keepalive = false) {
    if (!this.token) return Promise.resolve();
    return fetch(this.stateUrl(STATE_ID), { method: "PUT", headers: this.headers(true), body: JSON.stringify(doc),
                                            keepalive }).catch(() => undefined);
  }

  /** "terminated" (§9.3.8). NOW: the page is going away, so it goes at once with whatever is still
   * queued (one keepalive POST); otherwise after what is in flight. */
  terminate(now) {
    if (this.terminated || !this.token) return Promise.resolve();
    const last = this.statement("terminated", { result: { duration: isoDuration(Date.now() - this.started) } });
    if (now) {
      this.terminated = true;
      const batch = [...this.pending.splice(0), last];
      return this.post(batch, true);
    }
    const done = this.send([last]);
    this.terminated = true;
    return done;
  }
}

// ---------------------------------------------------------------- the viewer

class Viewer {
  constructor(config) {
    this.config = config;
    this.kind = config.kind;
    this.au = null;
    this.rule = completionRule(this.kind, null);
    this.saved = readSaved(this.kind, null);
    this.completed = false;
    this.reported = 0; // the last progress sent in a "progressed" statement
  }

  async run() {
    const launch = readLaunch();
    if (launch) await this.connect(launch);
    this.buildChrome();
    if (this.kind === "pdf") await this.startPdf();
    else this.startPlayer();
    window.addEventListener("pagehide", () => this.leave());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.save(true);
    });
  }

  async connect(launch) {
    const au = new Au(launch);
    try {
      const saved = await au.start();
      this.au = au;
      this.rule = completionRule(this.kind, au.launchData.launchParameters);
      this.saved = readSaved(this.kind, saved);
      this.completed = this.saved.completed;
      this.reported = this.saved.progress;
      await au.send([au.statement("initialized")]);
      if (!au.normal) say(`${au.launchData.launchMode} mode: your progress is not recorded.`);
    } catch (e) {
      this.au = null;
      say("This page could not reach the learning platform; your progress is not recorded.");
    }
  }

  buildChrome() {
    const main = document.querySelector("main");
    this.progressBar = el("progress", { id: "progress", max: "100", value: "0", "aria-labelledby": "progress-text" });
    this.progressText = el("span", { id: "progress-text" });
    const bar = el("div", { class: "progress-row" }, this.progressBar, this.progressText);
    main.insertBefore(bar, $("status"));
    if (this.au) {
      const exit = el("button", { type: "button", id: "exit", class: "exit", text: "Exit" });
      exit.addEventListener("click", () => this.exit(exit));
      document.querySelector("header").append(exit);
    }
  }

  showProgress(percent, text) {
    this.progressBar.value = percent;
    this.progressText.textContent = text;
  }

  /** PERCENT (0..100) now, with what it stands for (EXTRA result extensions); sends "progressed"
   * when it has moved far enough, then "completed" and "passed" once the rule is met. */
  advance(percent, met, extra, { force = false } = {}) {
    const au = this.au;
    if (!au) return;
    const statements = [];
    const step = this.kind === "pdf" ? 1 : 10;
    if (!this.completed && percent > this.reported && (force || met || percent >= this.reported + step)) {
      this.reported = percent;
      statements.push(au.statement("progressed", { cmi5: false,
                                                   result: { extensions: { [PROGRESS]: percent, ...extra } } }));
    }
    if (met && !this.completed) {
      this.completed = true;
      const duration = isoDuration(Date.now() - au.started);
      if (au.normal) {
        statements.push(au.statement("completed", { moveOn: true, result: { completion: true, duration } }));
        statements.push(au.statement("passed", { moveOn: true, result: { success: true, duration } }));
        say("Completed.");
      }
    }
    if (statements.length) {
      au.send(statements);
      this.save(false);
    }
  }

  async exit(button) {
    button.disabled = true;
    await this.save(false);
    await this.au.terminate(false);
    this.left = true;
    const back = this.au.launchData.returnURL;
    if (back) location.assign(back);
    else say("You have left the course. You may close this window.");
  }

  leave() {
    if (this.left || !this.au) return;
    this.left = true;
    this.save(true);
    this.au.terminate(true);
  }

  // ------------------------------------------------------------ PDF

  async startPdf() {
    const fallback = $("media");
    const stage = el("div", { id: "pdf-stage", class: "pdf-stage", tabindex: "0", role: "region",
                              "aria-label": "Document page" });
    this.canvas = el("canvas", { id: "pdf-canvas", role: "img", "aria-label": "Page" });
    this.pageText = el("div", { id: "pdf-text", class: "visually-hidden", "aria-live": "polite" });
    stage.append(this.canvas, this.pageText);
    const prev = el("button", { type: "button", id: "prev", "aria-label": "Previous page", text: "‹ Previous" });
    const next = el("button", { type: "button", id: "next", "aria-label": "Next page", text: "Next ›" });
    this.pageInput = el("input", { id: "page-number", type: "number", min: "1", value: "1", inputmode: "numeric",
                                   "aria-describedby": "page-count" });
    this.pageCount = el("span", { id: "page-count" });
    const label = el("label", { for: "page-number", text: "Page" });
    const toolbar = el("div", { class: "toolbar", role: "toolbar", "aria-label": "Pages", "aria-controls": "pdf-stage" },
                       prev, el("span", { class: "page-jump" }, label, this.pageInput, this.pageCount), next);
    fallback.before(toolbar, stage);
    fallback.hidden = true;
    this.stage = stage;
    prev.addEventListener("click", () => this.goTo(this.page - 1));
    next.addEventListener("click", () => this.goTo(this.page + 1));
    this.pageInput.addEventListener("change", () => this.goTo(parseInt(this.pageInput.value, 10) || this.page));
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    this.prevButton = prev;
    this.nextButton = next;
    this.seen = new PagesSeen(this.saved.pages);
    try {
      const pdfjs = await import(new URL("pdf.min.js", PDFJS).href);
      pdfjs.GlobalWorkerOptions.workerSrc = new URL("pdf.worker.min.js", PDFJS).href;
      this.doc = await pdfjs.getDocument({
        url: new URL(this.config.src, location.href).href,
        cMapUrl: new URL("cmaps/", PDFJS).href, cMapPacked: true,
        standardFontDataUrl: new URL("standard_fonts/", PDFJS).href,
        wasmUrl: new URL("wasm/", PDFJS).href, iccUrl: new URL("iccs/", PDFJS).href,
      }).promise;
    } catch (e) {
      toolbar.hidden = true;
      stage.hidden = true;
      fallback.hidden = false;
      say("The PDF could not be shown here (" + (e && e.message ? e.message : e) + "). Use the link to open it.");
      return;
    }
    this.pages = this.doc.numPages;
    this.pageInput.max = String(this.pages);
    this.pageCount.textContent = `of ${this.pages}`;
    new ResizeObserver(() => this.scheduleRender()).observe(stage);
    await this.goTo(Math.min(this.saved.page, this.pages));
  }

  onKey(ev) {
    if (!this.doc || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    const moves = { ArrowRight: this.page + 1, PageDown: this.page + 1, ArrowLeft: this.page - 1,
                    PageUp: this.page - 1, Home: 1, End: this.pages };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    this.goTo(moves[ev.key]);
  }

  async goTo(n) {
    if (!this.doc) return;
    const page = Math.max(1, Math.min(this.pages, n));
    this.page = page;
    this.pageInput.value = String(page);
    this.prevButton.disabled = page <= 1;
    this.nextButton.disabled = page >= this.pages;
    this.stage.setAttribute("aria-label", `Page ${page} of ${this.pages}`);
    await this.render(page);
    if (this.page !== page) return; // the learner moved on before this page was drawn
    this.seen.see(page);
    const count = this.seen.count(this.pages);
    const percent = this.seen.percent(this.pages);
    this.showProgress(percent, `${count} of ${this.pages} pages seen`);
    this.advance(percent, meetsRule(this.rule, percent, count, this.pages), {});
    this.save(false);
  }

  scheduleRender() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => { if (this.page) this.render(this.page); }, 150);
  }

  async render(n) {
    const page = await this.doc.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const width = Math.max(200, this.stage.clientWidth - 16);
    const scale = Math.min(width / base.width, 2.5);
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    if (this.task) this.task.cancel();
    const canvas = this.canvas;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = Math.floor(viewport.width) + "px";
    canvas.style.height = Math.floor(viewport.height) + "px";
    canvas.setAttribute("aria-label", `Page ${n} of ${this.pages}`);
    this.task = page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport,
                              transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined });
    try {
      await this.task.promise;
    } catch (e) {
      if (e && e.name === "RenderingCancelledException") return;
      throw e;
    }
    canvas.dataset.page = String(n);
    try {
      const text = await page.getTextContent();
      this.pageText.textContent = text.items.map((i) => i.str || "").join(" ");
    } catch (e) { this.pageText.textContent = ""; }
  }

  // ------------------------------------------------------------ video and audio

  startPlayer() {
    const media = $("media");
    this.media = media;
    media.setAttribute("aria-label", this.config.title || (this.kind === "video" ? "Video" : "Audio"));
    this.tracker = new PlayTracker(this.saved.played);
    const update = (force) => this.onPlayed(force);
    media.addEventListener("play", () => this.tracker.resume(media.currentTime));
    media.addEventListener("playing", () => this.tracker.resume(media.currentTime));
    media.addEventListener("seeking", () => this.tracker.interrupt());
    media.addEventListener("seeked", () => { if (!media.paused) this.tracker.resume(media.currentTime); });
    media.addEventListener("timeupdate", () => {
      if (!media.paused && !media.seeking && this.tracker.step(media.currentTime, media.playbackRate)) update(false);
    });
    media.addEventListener("pause", () => {
      if (!media.seeking) this.tracker.step(media.currentTime, media.playbackRate);
      this.tracker.interrupt();
      update(true);
    });
    media.addEventListener("ended", () => {
      if (!media.seeking) this.tracker.step(media.duration, media.playbackRate);
      this.tracker.interrupt();
      update(true);
    });
    const restore = () => {
      const at = this.saved.position;
      if (at > 0 && Number.isFinite(media.duration) && at < media.duration - 0.5) media.currentTime = at;
      this.onPlayed(false);
    };
    if (media.readyState >= 1) restore(); else media.addEventListener("loadedmetadata", restore, { once: true });
    media.addEventListener("error", () => say("The media could not be played here. Use the download link."));
    this.saveTimer = setInterval(() => { if (!media.paused) this.save(false); }, 10000);
  }

  onPlayed(force) {
    const media = this.media;
    const duration = media.duration;
    const percent = this.tracker.percent(duration);
    const played = this.tracker.played.seconds();
    const what = this.kind === "video" ? "watched" : "listened to";
    this.showProgress(percent, `${percent}% ${what}` + (this.completed ? "" : ` (${this.rule.percentRequired}% needed)`));
    const extra = { [PLAYED_SEGMENTS]: this.tracker.played.segments() };
    if (Number.isFinite(duration)) extra[LENGTH] = Math.round(duration * 1000) / 1000;
    this.advance(percent, Number.isFinite(duration) && played > 0 && meetsRule(this.rule, percent), extra,
                 { force });
  }

  // ------------------------------------------------------------ the saved place

  stateDoc() {
    const doc = { completed: this.completed, progress: this.reported };
    if (this.kind === "pdf") {
      doc.page = this.page || this.saved.page;
      doc.pages = this.seen ? this.seen.toJSON() : this.saved.pages;
      doc.pageCount = this.pages || null;
    } else if (this.media) {
      doc.position = Math.round((this.media.currentTime || 0) * 1000) / 1000;
      doc.played = this.tracker.played.toJSON();
      doc.playedSeconds = Math.round(this.tracker.played.seconds() * 1000) / 1000;
      doc.length = Number.isFinite(this.media.duration) ? this.media.duration : null;
    }
    return doc;
  }

  /** PUT the place to the State resource. One PUT at a time, each with the place as it is when it goes:
   * PUTs sent together may reach the LRS in any order, and an older place arriving last won (seen: the
   * place of a page drawn before the last one, saved after the Exit's). KEEPALIVE: the page is going away,
   * so it goes at once. */
  save(keepalive) {
    if (!this.au || this.au.terminated) return Promise.resolve();
    if (keepalive) return this.au.saveState(this.stateDoc(), true);
    this.saving = (this.saving || Promise.resolve()).then(() => {
      if (this.au.terminated) return undefined;
      return this.au.saveState(this.stateDoc(), false);
    });
    return this.saving;
  }
}

function start() {
  let config;
  try {
    config = JSON.parse($("media-config").textContent);
  } catch (e) {
    say("This viewer page is damaged: its settings cannot be read.");
    return;
  }
  const viewer = new Viewer(config);
  window.mediaViewer = viewer; // for a look from the console (and the browser tests)
  viewer.run().catch((e) => say("Something went wrong in the viewer: " + (e && e.message ? e.message : e)));
}

start();
