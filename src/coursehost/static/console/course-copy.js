// The course pages' copy buttons: a read-only input (data-copy-input names it) copied to the clipboard.
// Without this script (or a clipboard) the button stays hidden and the input is there to select and copy.
(function () {
  "use strict";

  function setUp() {
    document.querySelectorAll("button.copy[data-copy-input]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy-input"));
      var status = button.closest(".field") && button.closest(".field").querySelector(".copy-status");
      if (!input || !navigator.clipboard) { return; }
      button.hidden = false;
      input.addEventListener("focus", function () { input.select(); });
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          if (status) { status.textContent = "Copied to the clipboard."; }
        }, function () {
          input.select();
          if (status) { status.textContent = "Could not copy: the link is selected, press Ctrl+C (or Cmd+C)."; }
        });
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
}());
