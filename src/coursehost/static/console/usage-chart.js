// The usage report's chart: registrations, launches and LRS statements per month as bars (left axis),
// storage as a line (right axis). The numbers come from the canvas's data-chart attribute; the table
// next to it holds the same numbers for anyone who cannot see the chart.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("usage-chart");
    if (!canvas || typeof window.Chart !== "function") return;
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Registrations", data: data.registrations, backgroundColor: "#0b5cad", yAxisID: "count" },
          { label: "Launches", data: data.launches, backgroundColor: "#1e6b2e", yAxisID: "count" },
          { label: "LRS statements", data: data.statements, backgroundColor: "#8a4b08", yAxisID: "count" },
          { label: "Storage (bytes)", data: data.storage, type: "line", borderColor: "#5b2a86",
            backgroundColor: "#5b2a86", yAxisID: "bytes" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 },
                   title: { display: true, text: "Count" } },
          bytes: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                   title: { display: true, text: "Bytes" } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
