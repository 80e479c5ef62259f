// AICC (HACP, CMI001 appendix A): the AU talks to the server itself, not to a JavaScript API.
// Each delivery of an AU gets an HACP session of its own (a fresh AICC_SID), so ExitAU ends that
// delivery only; the player learns of the ExitAU by asking, and then moves on.

export const POLL_MS = 1000;

// {href, session} of a new HACP session for ACTIVITYID, or null when the server gave none.
export async function openAuSession(channel, activityId) {
  const answer = await channel.post(`/aicc/session?activityId=${encodeURIComponent(activityId)}`, {});
  return answer && answer.href ? answer : null;
}

// Calls onExit({lessonStatus, exit}) once the AU session has ended with ExitAU; returns stop().
export function watchAuExit(channel, activityId, session, onExit, intervalMs = POLL_MS) {
  let stopped = false;
  let timer = null;
  const query = `/aicc/status?activityId=${encodeURIComponent(activityId)}&session=${encodeURIComponent(session)}`;
  const tick = async () => {
    if (stopped) return;
    try {
      const status = await channel.get(query);
      if (!stopped && status && status.exited) {
        stopped = true;
        onExit(status);
        return;
      }
    } catch (err) {
      // a lost answer: ask again at the next tick
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, intervalMs);
  return () => { stopped = true; clearTimeout(timer); };
}

// Whether an outline (navigation toc) still has an available item that is not satisfied.
export function somethingLeft(toc) {
  return (toc || []).some((entry) => entry.available && entry.status !== "satisfied");
}
