// What the media viewer (media-viewer.js) counts, without the page: the time of a video or audio
// actually played (seeking ahead adds nothing, playing a part twice counts it once), the pages of a
// PDF seen, the completion rule from the launch parameters, and the saved position (the State
// document the next launch resumes from). Pure: no DOM, no network; tests/js/media-tracking.test.mjs.

/** The rule of a launch: launchParameters (a JSON text from parsers/media.py launch_parameters) ->
 * {rule: "ALL" | "PERCENT", percentRequired: 1..100}. Missing or unreadable: all pages of a PDF,
 * 90% of a video or audio. */
export function completionRule(kind, launchParameters) {
  let p = {};
  if (typeof launchParameters === "string" && launchParameters) {
    try { p = JSON.parse(launchParameters) || {}; } catch (e) { p = {}; }
  }
  const percent = Math.round(Number(p.percentRequired));
  if (kind === "pdf") {
    if (p.rule === "PERCENT" && percent >= 1 && percent <= 100) return { rule: "PERCENT", percentRequired: percent };
    return { rule: "ALL", percentRequired: 100 };
  }
  return { rule: "PERCENT", percentRequired: percent >= 1 && percent <= 100 ? percent : 90 };
}

/** Merged [start, end] intervals of played media time, in seconds. */
export class PlayedRanges {
  constructor(ranges) {
    this.ranges = [];
    for (const r of ranges || []) {
      if (Array.isArray(r) && r.length === 2) this.add(Number(r[0]), Number(r[1]));
    }
  }

  add(start, end) {
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start || start < 0) return;
    const out = [];
    let s = start, e = end;
    for (const [a, b] of this.ranges) {
      if (b < s || a > e) { out.push([a, b]); } else { s = Math.min(s, a); e = Math.max(e, b); }
    }
    out.push([s, e]);
    out.sort((x, y) => x[0] - y[0]);
    this.ranges = out;
  }

  /** Seconds played, each moment once. */
  seconds() { return this.ranges.reduce((sum, [a, b]) => sum + (b - a), 0); }

  /** The xAPI video profile's played-segments form: "0[.]5.25[,]8[.]12". */
  segments() {
    return this.ranges.map(([a, b]) => `${round3(a)}[.]${round3(b)}`).join("[,]");
  }

  toJSON() { return this.ranges.map(([a, b]) => [round3(a), round3(b)]); }
}

function round3(n) { return Math.round(n * 1000) / 1000; }

/** Follows a media element's time: feed it the element's events and it adds what was played.
 * Only a forward step of ordinary playback counts (at most MAX_STEP seconds of media per step times
 * the playback rate); a seek breaks the run, so jumping ahead adds nothing. */
export class PlayTracker {
  static MAX_STEP = 1.5;

  constructor(ranges) {
    this.played = new PlayedRanges(ranges);
    this.last = null;
  }

  /** playback (re)starts or a seek has ended at TIME while playing */
  resume(time) { this.last = Number.isFinite(time) ? time : null; }

  /** a seek begins, or playback stops: the next step does not join the last one */
  interrupt() { this.last = null; }

  /** timeupdate at TIME while playing at RATE; true when something was added */
  step(time, rate = 1) {
    const last = this.last;
    this.last = Number.isFinite(time) ? time : null;
    if (last === null || !Number.isFinite(time)) return false;
    const delta = time - last;
    if (delta <= 0 || delta > PlayTracker.MAX_STEP * Math.max(1, rate || 1)) return false;
    this.played.add(last, time);
    return true;
  }

  /** Percent (0..100, whole) of DURATION played. */
  percent(duration) {
    if (!Number.isFinite(duration) || duration <= 0) return 0;
    return Math.min(100, Math.floor((this.played.seconds() / duration) * 100 + 1e-9));
  }
}

/** The pages of a document seen (1-based page numbers). */
export class PagesSeen {
  constructor(pages) { this.pages = new Set((pages || []).filter((n) => Number.isInteger(n) && n > 0)); }

  /** true when PAGE is new */
  see(page) {
    if (this.pages.has(page)) return false;
    this.pages.add(page);
    return true;
  }

  count(total) { return [...this.pages].filter((n) => !total || n <= total).length; }

  percent(total) {
    if (!total) return 0;
    return Math.min(100, Math.floor((this.count(total) / total) * 100 + 1e-9));
  }

  toJSON() { return [...this.pages].sort((a, b) => a - b); }
}

/** Whether PROGRESS (percent seen or played, 0..100) meets RULE (completionRule). For a PDF under
 * "ALL" every page must be seen (SEEN pages of TOTAL), whatever rounding would say. */
export function meetsRule(rule, progress, seen, total) {
  if (rule.rule === "ALL") return Boolean(total) && seen >= total;
  return progress >= rule.percentRequired;
}

/** The State document the viewer keeps (what the next launch starts from), checked when read. */
export function readSaved(kind, doc) {
  const d = doc && typeof doc === "object" ? doc : {};
  const out = { completed: d.completed === true, progress: Number.isFinite(d.progress) ? d.progress : 0 };
  if (kind === "pdf") {
    out.page = Number.isInteger(d.page) && d.page > 0 ? d.page : 1;
    out.pages = Array.isArray(d.pages) ? d.pages : [];
  } else {
    out.position = Number.isFinite(d.position) && d.position >= 0 ? d.position : 0;
    out.played = Array.isArray(d.played) ? d.played : [];
  }
  return out;
}
