// Add Content (console/templates/library/add.html): the file input becomes a drag-and-drop zone, the
// course ID is suggested from the file's name, and the form is sent by XMLHttpRequest so that the
// <progress> shows the bytes sent (upload.onprogress). The server answers as it does the plain form:
// a redirect to the import job's page (followed), or the form again with its messages (shown in place).
(function () {
  "use strict";

  let keptFile = null; // a dropped or chosen file, kept when the server sends the form back

  function suggestCourseId(name) {
    // The same rule as console/library.py's suggest_course_id.
    let base = name.replace(/\\/g, "/").split(/[?#]/)[0];
    base = base.slice(base.lastIndexOf("/") + 1);
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    return stem.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, 255);
  }

  function size(n) {
    const units = [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]];
    for (const [unit, scale] of units) {
      if (n >= scale) return (n / scale).toFixed(1).replace(/\.0$/, "") + " " + unit;
    }
    return n + " bytes";
  }

  function setup(form) {
    const input = form.querySelector("#package-file");
    const zone = form.querySelector("[data-drop-zone]");
    const chosen = zone.querySelector(".chosen");
    const courseId = form.querySelector("#course-id");
    const url = form.querySelector("#package-url");
    const maxBytes = Number(form.dataset.maxBytes);
    let suggested = "";

    zone.classList.add("active");
    zone.querySelector(".drop-text").hidden = false;

    function suggest(name) {
      if (!courseId.value.trim() || courseId.value === suggested) {
        suggested = suggestCourseId(name);
        courseId.value = suggested;
      }
    }

    function choose(file) {
      keptFile = file;
      chosen.textContent = file ? "Chosen: " + file.name + " (" + size(file.size) + ")" : "";
      if (file) suggest(file.name);
    }

    if (keptFile && !input.files.length) {
      const transfer = new DataTransfer();
      transfer.items.add(keptFile);
      input.files = transfer.files;
      choose(keptFile);
    }

    input.addEventListener("change", () => choose(input.files[0] || null));
    url.addEventListener("input", () => { if (url.value.trim() && !input.files.length) suggest(url.value.trim()); });
    for (const type of ["dragenter", "dragover"]) {
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    }
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      const files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      const transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      choose(files[0]);
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = input.files[0];
      if (file && file.size > maxBytes) {
        showProblem(form, "The file " + file.name + " is " + size(file.size) + "; files up to " +
                    form.dataset.maxSize + " can be imported. Nothing was sent.");
        return;
      }
      send(form, file);
    });
  }

  function showProblem(form, text) {
    let box = document.getElementById("add-errors");
    if (!box) {
      box = document.createElement("div");
      box.className = "error";
      box.id = "add-errors";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      box.appendChild(document.createElement("p"));
      form.before(box);
    }
    box.querySelector("p").textContent = text;
    box.focus();
  }

  function send(form, file) {
    const status = form.querySelector(".upload-status");
    const progress = status.querySelector("progress");
    const text = status.querySelector(".progress-text");
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest"); // the file stays chosen if the form comes back
    status.hidden = false;
    button.disabled = true;
    progress.value = 0;
    text.textContent = file ? "Uploading " + file.name + "…" : "Sending…";

    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      progress.max = event.total;
      progress.value = event.loaded;
      text.textContent = "Uploaded " + size(event.loaded) + " of " + size(event.total) + " (" +
                         Math.floor((100 * event.loaded) / event.total) + "%)";
    };
    xhr.upload.onload = () => {
      progress.value = progress.max;
      text.textContent = "Upload complete (100%). Starting the import…";
    };
    xhr.onerror = () => {
      button.disabled = false;
      text.textContent = "";
      showProblem(form, "The upload failed: the connection to the server was lost. Try again.");
    };
    xhr.onload = () => {
      const target = new URL(xhr.responseURL || form.action, location.href);
      if (target.pathname !== new URL(form.action, location.href).pathname) {
        location.assign(target.href); // the import job's page (or the sign-in page)
        return;
      }
      if (xhr.status === 413) {
        button.disabled = false;
        showProblem(form, "The file is larger than the " + form.dataset.maxSize + " allowed. Nothing was imported.");
        return;
      }
      // The form again, with its messages: show it in place of this one.
      const answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const main = answer.querySelector("main");
      if (!main) {
        button.disabled = false;
        showProblem(form, "The server could not take the file (HTTP " + xhr.status + "). Try again.");
        return;
      }
      main.querySelectorAll("script").forEach((script) => script.remove()); // this one is running already
      document.querySelector("main").replaceChildren(...Array.from(main.childNodes).map((n) => document.importNode(n, true)));
      document.title = answer.title;
      const again = document.querySelector("form.add-content-form");
      if (again) setup(again);
      const errors = document.getElementById("add-errors");
      if (errors) errors.focus();
    };
    xhr.send(new FormData(form));
  }

  const form = document.querySelector("form.add-content-form");
  if (form) setup(form);
})();
