(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-charts").textContent);
  var BLUE = "#1f4e8c", GRID = "#e6e9ef";
  var GRADE_COLOURS = {excellent: "#2e7d32", competent: "#1f4e8c", basically_competent: "#f29900", incompetent: "#c62828", "": "#bdc1c6"};

  function percent(v) { return (Math.round(v * 10) / 10).toString() + "%"; }

  // Numbers written on the chart itself: past the end of each bar, above each point, inside each stacked segment.
  var valueLabels = {
    id: "vcValueLabels",
    afterDatasetsDraw: function (chart, args, options) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = "12px " + Chart.defaults.font.family;
      chart.data.datasets.forEach(function (dataset, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) { return; }
        meta.data.forEach(function (element, j) {
          var v = dataset.data[j];
          if (v === null || v === undefined) { return; }
          if (options.inside) {
            if (!v || Math.abs(element.width || 0) < 18) { return; }
            ctx.fillStyle = "#fff"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
            ctx.fillText(String(v), (element.x + element.base) / 2, element.y);
          } else if (chart.options.indexAxis === "y") {
            ctx.fillStyle = "#333"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
            ctx.fillText(percent(v), element.x + 4, element.y);
          } else {
            ctx.fillStyle = "#333"; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
            ctx.fillText(percent(v), element.x, element.y - 6);
          }
        });
      });
      ctx.restore();
    }
  };

  function percentAxis() {
    return {min: 0, max: 100, grid: {color: GRID}, ticks: {stepSize: 20, callback: function (v) { return v + "%"; }}};
  }

  // One horizontal bar per township: names stay level and readable however many townships there are.
  function bars(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas || !series.labels.length) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {labels: series.labels, datasets: [{label: series.label, data: series.values, backgroundColor: BLUE,
                                                maxBarThickness: 22}]},
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false, layout: {padding: {right: 48}},
        scales: {x: percentAxis(), y: {grid: {display: false}, ticks: {autoSkip: false}}},
        plugins: {legend: {display: false}, vcValueLabels: {},
                  tooltip: {callbacks: {label: function (c) { return c.dataset.label + ":" + percent(c.parsed.x); }}}}
      },
      plugins: [valueLabels]
    });
  }

  function trend(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas || !series.labels.length) { return; }
    new Chart(canvas, {
      type: "line",
      data: {labels: series.labels, datasets: [{label: series.label, data: series.values, borderColor: BLUE,
                                                backgroundColor: BLUE, pointRadius: 4, spanGaps: true, tension: 0}]},
      options: {
        maintainAspectRatio: false, animation: false, layout: {padding: {top: 24}},
        scales: {y: percentAxis(), x: {offset: true, grid: {display: false}, ticks: {autoSkip: false}}},
        plugins: {legend: {display: false}, vcValueLabels: {},
                  tooltip: {callbacks: {label: function (c) { return c.dataset.label + ":" + percent(c.parsed.y); }}}}
      },
      plugins: [valueLabels]
    });
  }

  function grades(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas || !series.labels.length) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {labels: series.labels, datasets: series.datasets.map(function (d) {
        return {label: d.label, data: d.data, backgroundColor: GRADE_COLOURS[d.grade], maxBarThickness: 36};
      })},
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: {x: {stacked: true, beginAtZero: true, grid: {color: GRID}, ticks: {precision: 0}},
                 y: {stacked: true, grid: {display: false}}},
        plugins: {legend: {position: "bottom", labels: {boxWidth: 14, padding: 14}}, vcValueLabels: {inside: true}}
      },
      plugins: [valueLabels]
    });
  }

  function draw() {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 13;
    Chart.defaults.color = "#333";
    bars("chart-coverage", data.coverage);
    bars("chart-compliance", data.compliance);
    trend("chart-trend", data.trend);
    grades("chart-grades", data.grades);
  }

  // On a page reached by the site's in-page navigation the library may still be loading.
  if (window.Chart) { draw(); } else { document.getElementById("vc-chartjs").addEventListener("load", draw); }
})();
