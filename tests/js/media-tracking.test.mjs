// media-tracking.js: what the media viewer counts (time played, pages seen), its completion rule
// from the launch parameters, and the saved place it resumes from.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  completionRule, meetsRule, PagesSeen, PlayedRanges, PlayTracker, readSaved,
} from "../../src/coursehost/static/player/media-tracking.js";

test("the rule comes from launchParameters, with defaults for anything missing or wrong", () => {
  assert.deepEqual(completionRule("pdf", null), { rule: "ALL", percentRequired: 100 });
  assert.deepEqual(completionRule("video", null), { rule: "PERCENT", percentRequired: 90 });
  assert.deepEqual(completionRule("audio", '{"rule":"PERCENT","percentRequired":60}'), { rule: "PERCENT", percentRequired: 60 });
  assert.deepEqual(completionRule("pdf", '{"rule":"PERCENT","percentRequired":50}'), { rule: "PERCENT", percentRequired: 50 });
  assert.deepEqual(completionRule("pdf", '{"rule":"PERCENT","percentRequired":0}'), { rule: "ALL", percentRequired: 100 });
  assert.deepEqual(completionRule("video", "not json"), { rule: "PERCENT", percentRequired: 90 });
  assert.deepEqual(completionRule("video", '{"percentRequired":500}'), { rule: "PERCENT", percentRequired: 90 });
});

test("played ranges merge, so a part played twice counts once", () => {
  const r = new PlayedRanges([[0, 2], [5, 6]]);
  r.add(1, 3);
  r.add(2.5, 5.5);
  assert.deepEqual(r.toJSON(), [[0, 6]]);
  assert.equal(r.seconds(), 6);
  r.add(8, 9);
  assert.equal(r.segments(), "0[.]6[,]8[.]9");
  r.add(4, 4); r.add(-1, 2); r.add(NaN, 3);
  assert.equal(r.seconds(), 7);
});

test("only ordinary playback counts: a seek ahead adds nothing", () => {
  const t = new PlayTracker();
  t.resume(0);
  for (let s = 0.25; s <= 2; s += 0.25) assert.equal(t.step(s), true);
  assert.equal(t.step(9), false); // a jump of 7 s without a seek event: not played
  t.interrupt(); // seeking
  t.resume(95); // playing again at 95 s
  t.step(95.25); t.step(95.5);
  assert.equal(t.played.seconds(), 2.5);
  assert.equal(t.percent(100), 2);
  t.interrupt();
  assert.equal(t.step(99), false); // the first step after a seek has nothing to join
  assert.equal(t.percent(Infinity), 0);
});

test("a faster playback rate allows longer steps", () => {
  const t = new PlayTracker();
  t.resume(10);
  assert.equal(t.step(12, 1), false);
  t.resume(10);
  assert.equal(t.step(12.8, 2), true);
});

test("pages seen, and the ALL rule needs every page whatever the rounding", () => {
  const p = new PagesSeen([1, 1, 0, -2, "x"]);
  assert.equal(p.see(2), true);
  assert.equal(p.see(2), false);
  assert.deepEqual(p.toJSON(), [1, 2]);
  assert.equal(p.percent(3), 66);
  assert.equal(meetsRule({ rule: "ALL", percentRequired: 100 }, 100, 2, 3), false);
  assert.equal(meetsRule({ rule: "ALL", percentRequired: 100 }, 100, 3, 3), true);
  assert.equal(meetsRule({ rule: "PERCENT", percentRequired: 50 }, 66, 2, 3), true);
  assert.equal(meetsRule({ rule: "PERCENT", percentRequired: 90 }, 89), false);
});

test("a saved place is checked when read", () => {
  assert.deepEqual(readSaved("pdf", { page: 3, pages: [1, 2, 3], completed: true, progress: 75 }),
                   { completed: true, progress: 75, page: 3, pages: [1, 2, 3] });
  assert.deepEqual(readSaved("pdf", { page: -1, pages: "x" }), { completed: false, progress: 0, page: 1, pages: [] });
  assert.deepEqual(readSaved("video", null), { completed: false, progress: 0, position: 0, played: [] });
  assert.deepEqual(readSaved("audio", { position: 12.5, played: [[0, 12.5]] }),
                   { completed: false, progress: 0, position: 12.5, played: [[0, 12.5]] });
});
