// The People tab's debug-log page: a Copy button beside each shared link (the link stays selectable
// in its read-only field for browsers without the clipboard API).
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentElement.querySelector(".copy-status");
      if (!source) { return; }
      source.addEventListener("focus", function () { source.select(); });
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          if (status) { status.textContent = "Copied to the clipboard."; }
        }, function () {
          if (status) { status.textContent = "Could not copy; select the link and copy it yourself."; }
        });
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
