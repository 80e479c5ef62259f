// A dispatch launch (player/dispatch.py): the player runs in a frame of the dispatch shell, a page of
// another LMS on another origin. The registration's results (the rollup each commit answers with)
// go to that page on every change and at exit, posted only to the origin the launch named, never "*".
const round2 = (n) => Math.round(n * 100) / 100;

/** The message body for the server's rollup R ({completion, success, scoreScaled (percent),
 * totalSeconds}); session time is the time since this launch began (START seconds before it). */
export function shellResult(r, start = 0) {
  const scored = typeof r.scoreScaled === "number";
  return {
    completion: r.completion || "UNKNOWN", success: r.success || "UNKNOWN",
    score: scored ? { scaled: round2(r.scoreScaled / 100), raw: round2(r.scoreScaled) } : null,
    sessionSeconds: round2(Math.max(0, (Number(r.totalSeconds) || 0) - start)),
  };
}

/** The bridge to the shell SHELL ({origin, startSeconds}) through TARGET (the shell's window), or
 * null when this is no dispatch launch. */
export function shellBridge(shell, target) {
  if (!shell || !shell.origin || !target) return null;
  const start = Number(shell.startSeconds) || 0;
  let last = null;
  const post = (message) => {
    try {
      target.postMessage(message, shell.origin);
    } catch (err) { /* the shell's window is gone */ }
  };
  return {
    result(r) {
      if (!r) return;
      last = shellResult(r, start);
      post({ type: "coursehost:result", result: last });
    },
    exit() { post({ type: "coursehost:exit", result: last }); },
  };
}
