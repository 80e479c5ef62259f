// The Apps/API pages: copy buttons for revealed secret keys, and the registrations chart drawn from
// the table beside it (the table stays the source of the numbers for everyone).
(function () {
  "use strict";

  function setUpCopyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentElement.querySelector(".copy-status");
      if (!source || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) { status.textContent = "Copied to the clipboard."; }
        }, function () {
          if (status) { status.textContent = "Could not copy; select the key and copy it yourself."; }
        });
      });
    });
  }

  function drawChart() {
    var canvas = document.getElementById("registrations-chart");
    if (!canvas || typeof window.Chart !== "function") { return; }
    var table = document.getElementById(canvas.getAttribute("data-table"));
    var labels = [], counts = [];
    table.querySelectorAll("tbody tr").forEach(function (row) {
      labels.push(row.querySelector("th").textContent.trim());
      counts.push(Number(row.querySelector("td").textContent.trim()));
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: "Registrations", data: counts, backgroundColor: "#0b5cad" }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  function start() { setUpCopyButtons(); drawChart(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
