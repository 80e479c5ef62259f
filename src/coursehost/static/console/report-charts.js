// The report pages' charts (console/reports_views.py): every canvas.report-chart carries its chart in
// data-chart ({type, labels, datasets: [{label, data, color}]}), numbers taken from the table shown
// beside it, so the chart and the table (and its CSV / XLSX) can never disagree.
(function () {
  "use strict";
  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var stacked = spec.type === "bar" && spec.datasets.length > 1 && canvas.id === "verbs-chart";
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d) {
          return { label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color, tension: 0 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }
  function drawAll() {
    if (typeof window.Chart !== "function") return;
    Array.prototype.forEach.call(document.querySelectorAll("canvas.report-chart"), draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
