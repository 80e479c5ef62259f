// The Coursehost player: run-time API objects (scorm-again), batched commits, the debug log,
// navigation between SCOs (decided on the server), frameset and new-window delivery.
import { snapshot, toLoadJSON } from "./runtime-data.js";
import { CommitChannel } from "./commits.js";
import { DebugLog, recordCalls } from "./debuglog.js";
import { acceptAnyResponse, conform, conform12, loadSharedData, setRequestValid } from "./scorm-again-adapter.js";
import { afterCalls, auditedMethods, listen } from "./api-events.js";
import { openAuSession, somethingLeft, watchAuExit } from "./aicc.js";
import { shellBridge } from "./dispatch-bridge.js";

const cfg = JSON.parse(document.getElementById("player-config").textContent);
const S = cfg.settings || {};
const flag = (k, d) => (S[k] === undefined || S[k] === null || S[k] === "" ? d : String(S[k]).toLowerCase() === "true");
const num = (k, d) => { const n = parseInt(S[k], 10); return Number.isFinite(n) ? n : d; };
const is12 = cfg.scorm === "1.2";
const aicc = cfg.standard === "AICC"; // the AU talks HACP (aicc.js); the player follows its ExitAU
const $ = (id) => document.getElementById(id);

const debug = new DebugLog({
  rte: flag("PlayerDebugRteAudit", true), rteDetailed: flag("PlayerDebugRteDetailed", false),
  control: flag("PlayerDebugControlAudit", true), timestamps: flag("PlayerDebugIncludeTimestamps", true),
});
// A dispatch launch: results go to the shell that framed us (another LMS's page).
const shell = window.parent !== window ? shellBridge(cfg.shell, window.parent) : null;
const channel = new CommitChannel({
  base: cfg.runtimeBase, token: cfg.runtimeToken, debug,
  maxFailures: num("PlayerCommMaxFailedSubmissions", 2),
  onWarning: (text) => warn(text),
  onAnswer: (answer) => { if (shell) shell.result(answer.result); },
});

const state = {
  api: null, activityId: null, initialized: false, terminated: false, exiting: false, popup: null,
  toc: [], navRequest: null,
  nav: null, // SCORM 2004: the server's look-ahead {continue, previous, choice: [ids], jump: [ids]}
  uiRequest: false, // the player's own navigation request is unloading the SCO
  stopAuWatch: null, // AICC: stops watching the delivered AU's HACP session for ExitAU
  auSession: null, // AICC: {activityId, session} of the delivered AU's HACP session until the learner leaves it
};
const sequenced = !is12 && Boolean(cfg.sequenced);
const lookahead = String(S.PlayerLookaheadSequencerMode || "ENABLED").toUpperCase() !== "DISABLED";

// ------------------------------------------------------------------ the API object of one SCO

function newApi() {
  const Ctor = is12 ? window.Scorm12API : window.Scorm2004API;
  // autocommit off, no lmsCommitUrl: scorm-again keeps the data, this player sends it (batched).
  // mastery_override: scorm-again would turn any 1.2 status into passed / failed by the mastery
  // score; like SCORM Cloud we do that only when PlayerScoreOverridesStatus says so (the server
  // applies RTE 1.2's rule for a "completed" status with a score).
  const options = { autocommit: false, lmsCommitUrl: false, logLevel: 5, sendFullCommit: true,
                    autoCompleteLessonStatus: false,
                    mastery_override: flag("PlayerScoreOverridesStatus", false) };
  // adl.nav.request_valid.choice / jump.{target=...}: the sequencer's look-ahead (RTE 4.4.3).
  if (sequenced) options.scoItemIdValidator = (target) => requestAllowed("choice", target);
  const api = new Ctor(options);
  // SCORM 2004: our corrections where scorm-again departs from ADL's run-time tests (measured by
  // make conformance-scorm2004); SCORM 1.2: nothing is accepted after LMSFinish.
  if (is12) conform12(api); else conform(api);
  // PlayerValidateInteractionResponses=false: keep responses that do not match their type's format.
  if (!flag("PlayerValidateInteractionResponses", true)) acceptAnyResponse(api, is12);
  // The debug log sees every call as the SCO got it, so it wraps over the corrections.
  recordCalls(api, auditedMethods(cfg.scorm), debug, () => state.activityId);
  // The commit a Commit / Finish asks for leaves once that call is logged, so it carries the call.
  const later = [];
  afterCalls(api, cfg.scorm, later);
  return listen(api, cfg.scorm, {
    initialized: () => { state.initialized = true; debug.event("sco-initialized", { activityId: state.activityId }); },
    changed: () => channel.markDirty(),
    committed: () => later.push(() => commitNow(false)),
    terminated: (navRequest) => {
      state.terminated = true;
      state.navRequest = navRequest;
      const runtime = snapshot(api);
      const finished = state.activityId;
      later.push(() => {
        commitNow(true, runtime);
        // Leave the SCO's own call stack before unloading it.
        setTimeout(() => onScoFinished(finished, runtime), 0);
      });
    },
  });
}

function commitNow(terminated, runtime) {
  if (!state.api || !state.activityId) return Promise.resolve();
  return channel.send({ activityId: state.activityId, runtime: runtime || snapshot(state.api), terminated });
}

// ------------------------------------------------------------------ delivering SCOs

async function deliver(activityId) {
  const item = cfg.items.find((i) => i.id === activityId);
  if (!item) return exitCourse();
  state.api = null;
  state.activityId = activityId;
  state.initialized = state.terminated = false;
  state.navRequest = null;
  state.uiRequest = false;
  markCurrent();
  updateButtons();
  debug.event("deliver", { activityId });
  // xAPI (Tin Can) content has no run-time API: it reports to the LRS its launch URL names.
  if (!cfg.scorm) return open(contentUrl(item.href));
  let start = {};
  try {
    start = await channel.get(`/start?activityId=${encodeURIComponent(activityId)}`);
  } catch (err) {
    debug.event("start-data-failed", { activityId, error: String(err) });
  }
  const api = newApi();
  api.loadFromJSON(toLoadJSON(start, cfg.scorm));
  if (sequenced) {
    applyRequestValid(api);
    loadSharedData(api, start.adlData);
  }
  // The API must exist before the SCO loads (SCORM RTE API discovery walks parent / opener).
  if (is12) window.API = api; else window.API_1484_11 = api;
  state.api = api;
  channel.bind(() => (state.api && state.initialized && !state.terminated
    ? { activityId: state.activityId, runtime: snapshot(state.api), terminated: false } : null));
  const href = aicc ? await auHref(item) : item.href;
  if (state.activityId === activityId) open(contentUrl(href));
}

// AICC: a new HACP session for this delivery of the AU, watched for its ExitAU.
async function auHref(item) {
  try {
    const opened = await openAuSession(channel, item.id);
    if (opened && state.activityId === item.id) {
      state.auSession = { activityId: item.id, session: opened.session };
      state.stopAuWatch = watchAuExit(channel, item.id, opened.session, (status) => {
        state.stopAuWatch = null;
        state.auSession = null;
        if (state.exiting || state.activityId !== item.id) return;
        state.terminated = true;
        debug.event("au-exited", { activityId: item.id, status: status.lessonStatus, exit: status.exit });
        onScoFinished(item.id, { core: { lesson_status: status.lessonStatus, exit: status.exit } });
      });
      return opened.href;
    }
  } catch (err) {
    debug.event("au-session-failed", { activityId: item.id, error: String(err) });
  }
  return item.href;
}

// AICC: tell the server the learner left the delivered AU's HACP session (before the next
// navigation decision, so an AU it completes unlocks what follows). An AU that never talked HACP
// is then completed (SCORM 1.2 RTE 3.4.4, domain/runtime/launch_aicc.py au_session_left).
async function leaveAu(beacon = false) {
  const au = state.auSession;
  state.auSession = null;
  if (!au) return;
  const path = `/aicc/left?activityId=${encodeURIComponent(au.activityId)}&session=${encodeURIComponent(au.session)}`;
  debug.event("au-left", { activityId: au.activityId });
  if (beacon) { channel.beacon(path, {}); return; }
  try {
    await channel.post(path, {});
  } catch (err) {
    debug.event("au-left-failed", { activityId: au.activityId, error: String(err) });
  }
}

function stopAuWatch() {
  if (state.stopAuWatch) state.stopAuWatch();
  state.stopAuWatch = null;
}

// A package file, or an absolute launch URL as is (a tincan.xml <launch> may name one).
function contentUrl(href) {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(href) ? href : cfg.contentBase + href;
}

// PlayerScoLaunchType: how the player shows the content (PlayerLaunchType, launch page to player,
// is the launcher page's business).
function scoWindowMode() {
  return String(S.PlayerScoLaunchType || "FRAMESET").toUpperCase();
}

function open(url) {
  const mode = scoWindowMode();
  const frame = $("content");
  if (mode === "FRAMESET") {
    hidePanel();
    frame.hidden = false;
    frame.src = url;
    return;
  }
  frame.hidden = true;
  frame.src = "about:blank";
  const features = mode.includes("WITHOUT_BROWSER_TOOLBAR")
    ? `width=${num("PlayerDesiredWidth", 1000)},height=${num("PlayerDesiredHeight", 700)},toolbar=no,menubar=no,location=no,status=no,resizable=yes,scrollbars=yes`
    : `width=${num("PlayerDesiredWidth", 1000)},height=${num("PlayerDesiredHeight", 700)},resizable=yes,scrollbars=yes`;
  const launch = () => {
    const popup = window.open(url, "coursehost-sco", features);
    if (!popup) {
      showPanel("Your browser blocked the course window. Select Launch to open it.", launch);
      return;
    }
    state.popup = popup;
    showPanel("The course is open in another window.", null);
    debug.event("sco-window-opened", { activityId: state.activityId });
    watchPopup(popup, state.activityId);
  };
  if (mode.includes("AFTER_CLICK")) showPanel("Select Launch to open the course in a new window.", launch);
  else launch();
}

function watchPopup(popup, activityId) {
  const timer = setInterval(() => {
    if (!popup.closed) return;
    clearInterval(timer);
    if (state.activityId !== activityId || state.exiting) return;
    debug.event("sco-window-closed", { activityId, terminated: state.terminated });
    if (!state.terminated) {
      if (state.initialized) commitNow(false);
      showPanel("The course window was closed. Select Launch to open it again, or Exit.", () => deliver(activityId));
    }
  }, 500);
}

function showPanel(text, action) {
  $("panel").hidden = false;
  $("panel-text").textContent = text;
  const button = $("panel-button");
  button.hidden = !action;
  button.onclick = action ? () => action() : null;
}

function hidePanel() { $("panel").hidden = true; }

// ------------------------------------------------------------------ navigation (decided on the server)

async function navigate(request, target) {
  if (aicc && request !== "start" && state.auSession) await leaveAu();
  let decision;
  try {
    decision = await channel.post("/navigate", { request, activityId: state.activityId, target, lookahead });
  } catch (err) {
    debug.event("navigate-failed", { request, error: String(err) });
    warn("The course could not move on; check your connection and try again.");
    return;
  }
  debug.control("navigation", { request, target, decision: decision.message, next: decision.activityId });
  if (decision.toc) renderToc(decision.toc);
  if (sequenced) return afterSequencing(request, decision);
  // AICC: when no later AU may be taken yet but some AU is still to do, back to the outline.
  if (!decision.activityId && aicc && request === "continue" && somethingLeft(decision.toc)) return backToOutline();
  if (!decision.activityId) return exitCourse();
  if (decision.activityId === state.activityId && !state.terminated && request !== "start") {
    if (request === "choice" || request === "previous") warn(decision.message);
    return;
  }
  await leaveSco();
  return deliver(decision.activityId);
}

// SCORM 2004: the sequencer's decision. Something to deliver replaces the SCO; the end of the
// sequencing session leaves the player; otherwise the learner is told why and chooses again.
async function afterSequencing(request, decision) {
  // PlayerDebugSequencing* / PlayerDebugLookAhead*: the sequencer's processes, the look-ahead.
  if (decision.log && (flag("PlayerDebugSequencingAudit", true) || flag("PlayerDebugSequencingDetailed", false))) {
    debug.control("sequencing", { request, activityId: decision.activityId, exception: decision.exception || null, log: decision.log });
  }
  const nav = decision.nav || {};
  if (lookahead && flag("PlayerDebugLookAheadDetailed", false)) debug.control("lookahead", nav);
  else if (lookahead && flag("PlayerDebugLookAheadAudit", true)) {
    debug.control("lookahead", { continue: nav.continue, previous: nav.previous, choices: (nav.choice || []).length });
  }
  state.nav = decision.nav || null;
  if (decision.ended) return exitCourse();
  if (decision.activityId) {
    await leaveSco();
    return deliver(decision.activityId);
  }
  updateButtons();
  if (state.api && state.initialized && !state.terminated) return warn(decision.message);
  // A course of one activity has nowhere else to go once its SCO has ended.
  if (cfg.items.length <= 1 && request !== "start") return exitCourse();
  await leaveSco();
  state.api = null;
  showPanel(decision.message, null);
}

function requestAllowed(request, target) {
  if (!state.nav) return true;
  if (request === "continue" || request === "previous") return Boolean(state.nav[request]);
  if (request === "choice" || request === "jump") return (state.nav[request] || []).includes(target);
  return true;
}

// Set before Initialize: the elements are read-only to the SCO afterwards.
function applyRequestValid(api) {
  if (!state.nav) return;
  try {
    setRequestValid(api, state.nav);
  } catch (err) {
    debug.event("request-valid-failed", { error: String(err) });
  }
}

// The player's own buttons and outline. For SCORM 2004 a request the look-ahead refuses is
// answered at once (the SCO keeps running); otherwise the SCO is unloaded first, so its data and
// any Terminate reach the server before the sequencer decides (SN 4.4.2).
async function uiNavigate(request, target) {
  if (!sequenced) return navigate(request, target);
  if (!requestAllowed(request, target)) {
    warn(request === "choice" ? "That activity cannot be chosen right now." : `${request === "continue" ? "Continue" : "Previous"} is not available right now.`);
    return;
  }
  state.uiRequest = true;
  await leaveSco();
  await channel.drain();
  return navigate(request, target);
}

async function backToOutline() {
  await leaveSco();
  state.api = null;
  if (flag("PlayerShowCourseStructure", true)) $("toc").hidden = false;
  showPanel("This lesson has ended. Choose what to do next from the course outline.", null);
}

// Unload the current SCO (it may still call Finish from its unload handler) before the next one.
async function leaveSco() {
  stopAuWatch();
  if (!state.api) return;
  const frame = $("content");
  if (state.popup && !state.popup.closed) state.popup.close();
  state.popup = null;
  if (frame.src && frame.src !== "about:blank") {
    await new Promise((resolve) => {
      const done = () => { frame.removeEventListener("load", done); resolve(); };
      frame.addEventListener("load", done);
      frame.src = "about:blank";
      setTimeout(done, 2000);
    });
  }
  await leaveAu();
  if (state.initialized && !state.terminated) {
    debug.event("sco-unloaded-without-finish", { activityId: state.activityId });
    await commitNow(true);
  }
}

function exitAction(activityId, runtime) {
  const items = cfg.items;
  const position = items.length && items[items.length - 1].id === activityId ? "Final" : "Intermediate";
  const core = runtime.core || {};
  const satisfied = ["passed", "completed"].includes(core.lesson_status) ? "Satisfied" : "NotSatisfied";
  const exit = core.exit || "";
  const mode = { suspend: "Suspend", "time-out": "Timeout", logout: "Logout" }[exit] || "Normal";
  if (mode === "Logout" && flag("PlayerLogoutCausesPlayerExit", true)) return "EXIT_COURSE";
  const fallback = position === "Intermediate" && (mode === "Normal" || mode === "Suspend") ? "GO_TO_NEXT_SCO" : "EXIT_COURSE";
  return S[`Player${position}Sco${satisfied}${mode}ExitAction`] || fallback;
}

async function onScoFinished(activityId, runtime) {
  if (state.exiting || state.activityId !== activityId) return;
  if (!is12) {
    // SCORM 2004: the SCO's adl.nav.request goes to the sequencer (SN 4.4.1, RTE 4.4.1).
    if (state.uiRequest) return; // the player's own request unloaded the SCO and navigates itself
    let request = String(state.navRequest || "_none_");
    let target;
    const m = /^\{target=([^}]*)\}(choice|jump)$/.exec(request);
    if (m) { target = m[1]; request = m[2]; }
    debug.control("terminate", { activityId, navRequest: state.navRequest || "_none_" });
    if (request === "_none_" && cfg.items.length <= 1) return exitCourse();
    // The sequencer must see the SCO's last data first: a SCO that ends without reporting is
    // taken as satisfied and completed (SN UP.4), so a late commit would decide the wrong way.
    await channel.drain();
    if (state.exiting || state.activityId !== activityId) return;
    return navigate(request, target);
  }
  const action = exitAction(activityId, runtime);
  debug.control("sco-exit", { activityId, action, exit: (runtime.core || {}).exit || "", status: (runtime.core || {}).lesson_status });
  if (action === "GO_TO_NEXT_SCO") return navigate("continue");
  if (action === "EXIT_COURSE") return exitCourse();
  if (action === "EXIT_COURSE_AFTER_CONFIRM") {
    if (window.confirm("Leave the course now?")) return exitCourse();
    return showPanel("This lesson has ended. Choose what to do next from the outline or the buttons.", null);
  }
  if (action === "DISPLAY_MESSAGE") return showPanel("This lesson has ended. Select Continue for the next one.", () => navigate("continue"));
  return showPanel("This lesson has ended.", null); // DO_NOTHING
}

async function exitCourse() {
  if (state.exiting) return;
  state.exiting = true;
  debug.event("exit", { activityId: state.activityId });
  if (channel.leaving) {
    // The page is closing (the SCO finished in its unload handler): the beacons still on their
    // way carry its data, and an exit call could overtake them and close the launch to them.
    channel.flushBeacon();
    return;
  }
  await leaveSco();
  await channel.drain();
  // The final commit goes before the exit: the server refuses commits once the launch has exited.
  // Without one, the log entries no commit carried (calls refused after Finish) go on their own.
  if (channel.pending()) channel.flushBeacon();
  else await channel.sendLog();
  let target = cfg.redirect || "/player/exit/message";
  try {
    const answer = await channel.post("/exit", {});
    target = answer.redirect || target;
  } catch (err) {
    channel.beaconExit();
  }
  channel.close();
  if (cfg.inWindow && window.opener && !window.opener.closed) {
    // Our own window, opened by the launcher page: it goes on to the exit target; we close.
    window.opener.postMessage({ type: "coursehost:exit", redirect: target }, window.location.origin);
    window.close();
    return;
  }
  if (shell) {
    // The shell finishes the LMS session; this frame shows our exit page (the LMS keeps its page).
    shell.exit();
    window.location.href = target;
    return;
  }
  window.top.location.href = target;
}

// ------------------------------------------------------------------ chrome: outline, buttons, warnings

function renderToc(toc) {
  state.toc = toc;
  const list = $("toc-list");
  list.replaceChildren();
  const choice = flag("PlayerEnableChoiceNav", true);
  // PlayerInvalidMenuItemAction: items sequencing forbids now are shown (a click explains why),
  // hidden, or disabled.
  const invalid = String(S.PlayerInvalidMenuItemAction || "SHOW").toUpperCase();
  for (const entry of toc) {
    if (!entry.visible) continue;
    if (sequenced && !entry.available && invalid === "HIDE") continue;
    const li = document.createElement("li");
    if (entry.depth) li.style.paddingLeft = `${entry.depth}em`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = entry.title;
    button.dataset.id = entry.id;
    button.dataset.status = entry.status;
    button.dataset.available = String(Boolean(entry.available));
    button.disabled = !choice || (!entry.available && (!sequenced || invalid === "DISABLE"));
    button.onclick = () => uiNavigate("choice", entry.id);
    li.append(button);
    list.append(li);
  }
  markCurrent();
}

// SCORM 2004: Continue / Previous follow the look-ahead; the current SCO's hideLMSUI hides them
// (CAM 4th Ed. adlnav:presentation).
function updateButtons() {
  if (!sequenced) return;
  const item = cfg.items.find((i) => i.id === state.activityId);
  const hide = new Set((item && item.hide) || []);
  const flow = flag("PlayerEnableFlowNav", true) && cfg.items.length > 1;
  $("btn-prev").hidden = !flow || hide.has("previous");
  $("btn-next").hidden = !flow || hide.has("continue");
  $("btn-exit").hidden = !flag("PlayerShowFinishButton", true) || (hide.has("exitAll") && hide.has("suspendAll"));
  if (state.nav) {
    $("btn-prev").disabled = !state.nav.previous;
    $("btn-next").disabled = !state.nav.continue;
  }
}

function markCurrent() {
  for (const b of document.querySelectorAll("#toc-list button")) {
    if (b.dataset.id === state.activityId) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
}

let warningTimer = null;
function warn(text) {
  const box = $("warning");
  box.textContent = text;
  box.hidden = !text;
  clearTimeout(warningTimer);
}

function setupChrome() {
  const multi = cfg.items.length > 1;
  const showNav = flag("PlayerShowNavBar", true);
  const flow = flag("PlayerEnableFlowNav", true) && multi;
  $("bar").hidden = !showNav;
  $("btn-prev").hidden = !flow;
  $("btn-next").hidden = !flow;
  $("btn-exit").hidden = !flag("PlayerShowFinishButton", true);
  const showToc = multi && flag("PlayerShowCourseStructure", true);
  $("btn-toc").hidden = !showToc;
  $("toc").hidden = !showToc || !flag("PlayerCourseStructureStartsOpen", true);
  $("toc").style.width = `${num("PlayerCourseStructureWidth", 300)}px`;
  $("btn-toc").onclick = () => { $("toc").hidden = !$("toc").hidden; };
  $("btn-prev").onclick = () => uiNavigate("previous");
  $("btn-next").onclick = () => uiNavigate("continue");
  $("btn-exit").onclick = () => exitCourse();
  if (flag("PlayerPreventRightClick", false)) document.addEventListener("contextmenu", (e) => e.preventDefault());
}

// The last state leaves with the page: sendBeacon (text/plain JSON) survives the tab closing.
function onLeave(event) {
  if (event.type === "beforeunload") {
    // From here on the SCO's commits (also from its unload handler, which runs before our
    // pagehide) go by beacon, each with the log entries so far; the rest leaves at pagehide. One
    // data beacon per step: an earlier one overtaken by a later one would be dropped as stale
    // (seq), and its log entries with it.
    channel.setLeaving(true);
    debug.event("page-beforeunload", { activityId: state.activityId });
    // A page that really closes runs no more timers; one whose unload was cancelled goes on.
    setTimeout(() => channel.setLeaving(false), 3000);
    return;
  }
  if (event.type === "hidden" && channel.leaving) return; // pagehide follows
  if (event.type === "pagehide") {
    channel.setLeaving(true);
    if (aicc) leaveAu(true);
  }
  if (state.exiting && event.type !== "pagehide") return;
  debug.event("page-" + event.type, { activityId: state.activityId });
  channel.flushBeacon();
}
window.addEventListener("pagehide", onLeave);
window.addEventListener("beforeunload", onLeave);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") onLeave({ type: "hidden" });
  else channel.setLeaving(false); // a cancelled beforeunload: the page stays
});
window.addEventListener("pageshow", () => channel.setLeaving(false)); // back from the bfcache

// For tests and support: what the player is doing.
window.coursehostPlayer = { state, channel, debug, navigate, uiNavigate, exitCourse, config: cfg };

setupChrome();
channel.start(num("PlayerCommCommitFrequency", 10000));
debug.event("launch", { launchId: cfg.launchId, standard: cfg.standard, userAgent: navigator.userAgent });
navigate("start");
