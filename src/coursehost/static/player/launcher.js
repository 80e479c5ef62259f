// PlayerLaunchType NEW_WINDOW*: this page opens the player in a window of its own, waits for it to
// finish (a message from the player, or the window closing) and then goes where the launch link said.
const cfg = JSON.parse(document.getElementById("launcher-config").textContent);
const text = document.getElementById("launcher-text");
const button = document.getElementById("launcher-button");
let player = null;
let done = false;

function features() {
  const size = `width=${cfg.width},height=${cfg.height},resizable=yes,scrollbars=yes`;
  return cfg.mode.includes("WITHOUT_BROWSER_TOOLBAR") ? `${size},toolbar=no,menubar=no,location=no,status=no` : size;
}

function ask(message) {
  text.textContent = message;
  button.hidden = false;
}

function finish(target) {
  if (done) return;
  done = true;
  window.location.href = target || cfg.redirect;
}

function launch() {
  player = window.open(cfg.playerUrl, "coursehost-player", features());
  if (!player) return ask("Your browser blocked the course window. Select Launch to open it.");
  button.hidden = true;
  text.textContent = "The course is open in another window.";
  const timer = setInterval(() => {
    if (!player.closed) return;
    clearInterval(timer);
    if (done) return;
    // Closed by the learner: the player has sent its last data as the window went away; end the launch.
    navigator.sendBeacon(cfg.exitUrl, new Blob(["{}"], { type: "text/plain;charset=UTF-8" }));
    finish(cfg.redirect);
  }, 500);
}

window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || event.source !== player) return;
  const data = event.data || {};
  if (data.type === "coursehost:exit") finish(data.redirect);
});

button.onclick = launch;
if (cfg.mode.includes("AFTER_CLICK")) ask("Select Launch to open the course in a new window.");
else launch();
