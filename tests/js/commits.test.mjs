// commits.js: the player's own commit channel (POST /player/runtime/commit with seq, batching,
// retries, sendBeacon when the page goes away), with fetch and navigator.sendBeacon stubbed.
import { afterEach, mock, test } from "node:test";
import assert from "node:assert/strict";
import { CommitChannel } from "../../src/coursehost/static/player/commits.js";
import { DebugLog } from "../../src/coursehost/static/player/debuglog.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  delete globalThis.navigator;
});

/** A channel on stubbed fetch / sendBeacon; ANSWER(body, n) gives each POST's HTTP status
 * (or throws for a network failure). */
function setup({ answer = () => 200, maxFailures = 2, beacon = true, wait } = {}) {
  const posts = [];
  const beacons = [];
  const warnings = [];
  globalThis.fetch = async (url, init) => {
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    if (init.keepalive !== undefined && init.headers["X-Player-Token"] === undefined) {
      beacons.push({ url, body, via: "fetch" }); // the beacon's fetch fallback
      return { ok: true, status: 200, json: async () => ({}) };
    }
    posts.push({ url, init, body });
    const status = answer(body, posts.length);
    return { ok: status < 400, status, json: async () => (status < 400 ? { lastSeq: body && body.seq } : { message: `refused ${status}` }) };
  };
  globalThis.navigator = {
    sendBeacon: (url, blob) => {
      if (!beacon) return false;
      beacons.push({ url, blob, via: "beacon" });
      return true;
    },
  };
  const debug = new DebugLog({ timestamps: false });
  const channel = new CommitChannel({ base: "/player/runtime", token: "tok", debug, maxFailures,
    onWarning: (text) => warnings.push(text), wait: wait || (() => Promise.resolve()) });
  return { channel, debug, posts, beacons, warnings };
}

const state = (activityId, runtime, terminated = false) => ({ activityId, runtime, terminated });

test("a state goes out as one POST with seq, the token header and the debug log", async () => {
  const { channel, debug, posts } = setup();
  debug.event("launch");
  await channel.send(state("sco1", { location: "p1" }));
  assert.equal(posts.length, 1);
  assert.equal(posts[0].url, "/player/runtime/commit");
  assert.equal(posts[0].init.method, "POST");
  assert.equal(posts[0].init.headers["X-Player-Token"], "tok");
  assert.equal(posts[0].init.credentials, "omit");
  assert.deepEqual(posts[0].body, { seq: 1, activityId: "sco1", runtime: { location: "p1" }, terminated: false,
    log: [{ type: "event", event: "launch" }], fresh: true });
  assert.equal(channel.lastSeq, 1);
});

test("states sent while a POST is in flight collapse into the newest; terminated sticks", async () => {
  const { channel, posts } = setup();
  const first = channel.send(state("sco1", { n: 1 }));
  channel.send(state("sco1", { n: 2 }, true));
  channel.send(state("sco1", { n: 3 }));
  await first;
  assert.deepEqual(posts.map((p) => [p.body.seq, p.body.runtime.n, p.body.terminated]), [[1, 1, false], [2, 3, true]]);
});

test("a state of another SCO does not replace the waiting one: both go, in order", async () => {
  const { channel, posts } = setup();
  const first = channel.send(state("sco1", { n: 1 }));
  channel.send(state("sco1", { n: 2 }, true));
  channel.send(state("sco2", { n: 3 }));
  await first;
  assert.deepEqual(posts.map((p) => [p.body.seq, p.body.activityId, p.body.runtime.n]),
    [[1, "sco1", 1], [2, "sco1", 2], [3, "sco2", 3]]);
});

test("a failed POST is retried with the same seq; the learner is warned after maxFailures", async () => {
  const { channel, debug, posts, warnings } = setup({
    answer: (body, n) => { if (n <= 3) throw new TypeError("network down"); return 200; }, maxFailures: 2 });
  await channel.send(state("sco1", { n: 1 }));
  assert.deepEqual(posts.map((p) => p.body.seq), [1, 1, 1, 1]);
  // the first send is fresh, its retries are not (the server stores an overtaken body's log once)
  assert.deepEqual(posts.map((p) => p.body.fresh), [true, false, false, false]);
  // after the 2nd and the 3rd failure; cleared by the success
  assert.deepEqual(warnings.map((w) => (w ? "warned" : "")), ["warned", "warned", ""]);
  assert.match(warnings[0], /could not be saved/);
  // the retry that got through carries the failures' log entries and clears the warning
  assert.deepEqual(posts[3].body.log.map((e) => [e.event, e.attempt]),
    [["commit-failed", 1], ["commit-failed", 2], ["commit-failed", 3]]);
  assert.equal(debug.pending(), 0);
});

test("a newer state of the same SCO supersedes a failed one, keeping its log", async () => {
  let channel;
  const newer = { n: 2 };
  const ctx = setup({
    answer: (body, n) => { if (n === 1) throw new TypeError("down"); return 200; },
    wait: async () => { channel.send(state("sco1", newer, false)); },
  });
  channel = ctx.channel;
  ctx.debug.event("before");
  await channel.send(state("sco1", { n: 1 }, true));
  await channel.drain();
  const bodies = ctx.posts.map((p) => p.body);
  assert.deepEqual(bodies.map((b) => [b.seq, b.runtime.n, b.terminated]), [[1, 1, true], [2, 2, true]]);
  assert.deepEqual(bodies[1].log.map((e) => e.event), ["before", "commit-failed"]);
});

test("data the server refuses (400) is not sent again", async () => {
  const { channel, debug, posts } = setup({ answer: (body) => (body.seq === 1 ? 400 : 200) });
  const first = channel.send(state("sco1", { n: 1 }));
  channel.send(state("sco2", { n: 2 }));
  await first;
  assert.deepEqual(posts.map((p) => p.body.seq), [1, 2]);
  assert.deepEqual(posts[1].body.log.map((e) => [e.event, e.seq]), [["commit-refused", 1]]);
  assert.equal(debug.pending(), 0);
});

for (const status of [401, 403, 404]) {
  test(`an ended session (${status}) stops the channel and tells the learner`, async () => {
    const { channel, posts, warnings } = setup({ answer: () => status });
    await channel.send(state("sco1", { n: 1 }));
    await channel.send(state("sco1", { n: 2 }));
    assert.equal(posts.length, 1);
    assert.deepEqual(warnings, ["Your session has ended; your latest progress may not be saved. Relaunch the course."]);
  });
}

test("the timer sends the provider's state only when the data changed", async () => {
  mock.timers.enable({ apis: ["setInterval"] });
  try {
    const { channel, posts } = setup();
    let n = 0;
    channel.bind(() => state("sco1", { n: ++n }));
    channel.start(500); // at least a second
    mock.timers.tick(1000);
    channel.markDirty();
    mock.timers.tick(999);
    assert.equal(posts.length, 0);
    mock.timers.tick(1);
    await channel.drain();
    mock.timers.tick(1000); // sent: no longer dirty
    await channel.drain();
    assert.deepEqual(posts.map((p) => p.body.runtime.n), [1]);
  } finally {
    mock.timers.reset();
  }
});

test("drain waits until everything queued is sent", async () => {
  const { channel, posts } = setup({ answer: (body, n) => { if (n === 1) throw new TypeError("down"); return 200; } });
  channel.send(state("sco1", { n: 1 }));
  await channel.drain();
  assert.equal(channel.pump, null);
  assert.deepEqual(posts.map((p) => p.body.seq), [1, 1]);
});

test("flushBeacon sends the unsent state as text/plain beacons, the token in the URL", async () => {
  const { channel, debug, beacons } = setup();
  channel.bind(() => state("sco1", { n: 7 }));
  channel.flushBeacon(); // nothing changed: nothing to send
  assert.equal(beacons.length, 0);
  channel.markDirty();
  debug.event("page-pagehide");
  channel.flushBeacon();
  assert.equal(beacons.length, 1);
  assert.equal(beacons[0].url, "/player/runtime/commit?t=tok");
  assert.equal(beacons[0].blob.type, "text/plain;charset=utf-8");
  assert.deepEqual(JSON.parse(await beacons[0].blob.text()),
    { seq: 1, activityId: "sco1", runtime: { n: 7 }, terminated: false, log: [{ type: "event", event: "page-pagehide" }], fresh: true });
  assert.equal(channel.dirty, false);
});

test("flushBeacon merges a failed body with the current state of its SCO", async () => {
  const ctx = setup({ answer: () => { throw new TypeError("down"); }, wait: () => new Promise(() => {}) });
  ctx.channel.send(state("sco1", { n: 1 }, true));
  await new Promise((r) => setImmediate(r)); // the POST failed; the retry waits
  ctx.channel.bind(() => state("sco1", { n: 2 }));
  ctx.channel.markDirty();
  ctx.channel.flushBeacon();
  const bodies = await Promise.all(ctx.beacons.map(async (b) => JSON.parse(await b.blob.text())));
  assert.deepEqual(bodies.map((b) => [b.seq, b.runtime.n, b.terminated]), [[2, 2, true]]);
  assert.deepEqual(bodies[0].log.map((e) => e.event), ["commit-failed"]);
});

test("flushBeacon sends every unsent body: a waiting state, a failed one, the current SCO's", async () => {
  const ctx = setup({ answer: () => { throw new TypeError("down"); }, wait: () => new Promise(() => {}) });
  ctx.channel.send(state("sco1", { n: 1 }));
  await new Promise((r) => setImmediate(r));
  ctx.channel.send(state("sco1", { n: 2 })); // waits behind the failed one
  ctx.channel.bind(() => state("sco2", { n: 3 }));
  ctx.channel.markDirty();
  ctx.channel.flushBeacon();
  const bodies = await Promise.all(ctx.beacons.map(async (b) => JSON.parse(await b.blob.text())));
  assert.deepEqual(bodies.map((b) => [b.seq, b.activityId, b.runtime.n]), [[2, "sco1", 2], [1, "sco1", 1], [3, "sco2", 3]]);
});

test("without sendBeacon the beacon goes by fetch keepalive; beaconExit posts /exit", async () => {
  const { channel, beacons } = setup({ beacon: false });
  channel.beaconExit();
  assert.deepEqual(beacons.map((b) => [b.url, b.body, b.via]), [["/player/runtime/exit?t=tok", {}, "fetch"]]);
});

test("get and post answer the server's JSON; an error carries the HTTP status", async () => {
  const { channel } = setup({ answer: (body) => (body && body.bad ? 409 : 200) });
  assert.deepEqual(await channel.post("/navigate", { request: "start" }), { lastSeq: undefined });
  await assert.rejects(channel.post("/navigate", { bad: true }), (err) => err.status === 409 && err.message === "refused 409");
});

test("a commit refused because the launch has exited (410) is not retried, and a closed channel sends no beacon", async () => {
  const { channel, posts, beacons, warnings } = setup({ answer: () => 410 });
  await channel.send(state("sco1", { location: "p1" }));
  assert.equal(posts.length, 1);
  assert.equal(channel.stopped, true);
  assert.deepEqual(warnings, []);
  channel.close();
  channel.markDirty();
  channel.bind(() => state("sco1", { location: "p2" }));
  channel.flushBeacon();
  assert.equal(beacons.length, 0);
});

// ---- the page is closing (issue 14: the calls made while the page closes reach the debug log)

test("while the page closes, one handler's Commit and Finish go as one beacon with their log entries", async () => {
  const { channel, debug, posts, beacons } = setup();
  channel.setLeaving(true);
  debug.api("LMSSetValue", ["cmi.core.exit", "suspend"], "true", "0", "sco1");
  debug.api("LMSCommit", [""], "true", "0", "sco1");
  channel.send(state("sco1", { exit: "suspend" }));
  debug.api("LMSFinish", [""], "true", "0", "sco1");
  channel.send(state("sco1", { exit: "suspend" }, true));
  assert.equal(beacons.length, 0); // once the handler's call has returned
  await Promise.resolve();
  assert.equal(posts.length, 0);
  const bodies = await Promise.all(beacons.map(async (b) => JSON.parse(await b.blob.text())));
  assert.deepEqual(bodies.map((b) => [b.seq, b.runtime.exit, b.terminated, b.fresh]), [[1, "suspend", true, true]]);
  assert.deepEqual(bodies[0].log.map((e) => e.method), ["LMSSetValue", "LMSCommit", "LMSFinish"]);
  channel.setLeaving(false); // the page stays after all: POSTs again
  await channel.send(state("sco1", { exit: "" }));
  assert.equal(posts.length, 1);
});

test("log entries no commit carries go as a log-only body (no runtime), by beacon or before the exit", async () => {
  const { channel, debug, posts, beacons } = setup();
  await channel.send(state("sco1", { n: 1 }, true));
  debug.api("LMSSetValue", ["cmi.core.exit", "suspend"], "false", "301", "sco1");
  await channel.sendLog();
  assert.deepEqual(posts[1].body, { seq: 2, activityId: "sco1",
    log: [{ type: "runtime", activityId: "sco1", method: "LMSSetValue", args: ["cmi.core.exit", "suspend"],
            result: "false", errorCode: "301" }] });
  await channel.sendLog(); // nothing left
  assert.equal(posts.length, 2);
  debug.event("page-pagehide");
  channel.flushBeacon();
  const bodies = await Promise.all(beacons.map(async (b) => JSON.parse(await b.blob.text())));
  assert.deepEqual(bodies, [{ seq: 3, activityId: "sco1", log: [{ type: "event", event: "page-pagehide" }] }]);
});
