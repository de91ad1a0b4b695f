/* The reports page (/informes): draws each report's chart with the vendored Chart.js from the
   JSON block beside it (the CSP allows no inline script): <canvas data-chart="ID"> reads
   <script type="application/json" id="ID"> {labels, datasets: [{label, data, axis, type}],
   stacked, axes: {y, y1}}. The same numbers are in the table next to the chart. */
(function () {
  "use strict";

  function axis(title, extra) {
    var scale = {beginAtZero: true, title: {display: Boolean(title), text: title}};
    return Object.assign(scale, extra || {});
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var scales = {
      x: {stacked: spec.stacked},
      y: axis(spec.axes.y, {stacked: spec.stacked})
    };
    if (spec.datasets.some(function (d) { return d.axis === "y1"; })) {
      scales.y1 = axis(spec.axes.y1, {position: "right", grid: {drawOnChartArea: false}});
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d) {
          var dataset = {label: d.label, data: d.data, type: d.type, yAxisID: d.axis,
                         spanGaps: true};
          if (spec.stacked) {
            dataset.stack = d.axis;  // bars on one axis pile up; another axis stands apart
          }
          return dataset;
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {legend: {position: "bottom"}}
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
}());
