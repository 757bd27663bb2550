/* Statistics dashboard charts (Apache ECharts, vendored). Data comes from the JSON block
   #stats-chart-data; each container names its chart in data-stats-chart. No inline script
   (CSP script-src 'self'). The tables beside the charts carry the same figures; suppressed
   groups are gaps (null). */
(function () {
  "use strict";
  var block = document.getElementById("stats-chart-data");
  if (!block || typeof echarts === "undefined") { return; }
  var data;
  try { data = JSON.parse(block.textContent); } catch (e) { return; }
  var L = data.labels;
  var COLORS = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c"];
  function num(list) {
    return list.map(function (v) { return v === null ? null : Number(v); });
  }
  // A phone's card is about 320 px wide: the legend then wraps two items a row and would
  // cover the top of the plot, and the side margins would take a third of the width.
  var narrow = window.matchMedia("(max-width: 600px)").matches;
  function grid(items) {
    if (!narrow) { return { left: 56, right: 56, top: 36, bottom: 48, containLabel: true }; }
    return { left: 4, right: 4, top: 28 + 24 * Math.ceil(items / 2), bottom: 40,
             containLabel: true };
  }
  function legend() {
    return narrow ? { top: 0, itemGap: 8, itemWidth: 18, textStyle: { fontSize: 12 } } : { top: 0 };
  }
  var builders = {
    trend: function (d) {
      var t = d.trend;
      if (!t.categories.length) { return null; }
      return {
        color: COLORS, grid: grid(4), tooltip: { trigger: "axis" }, legend: legend(),
        xAxis: { type: "category", data: t.categories, axisLabel: { hideOverlap: true } },
        yAxis: [{ type: "value", name: "" }, { type: "value", minInterval: 1 }],
        series: [
          { type: "bar", name: L.demand_amount, data: num(t.demand_amount) },
          { type: "bar", name: L.disbursed_amount, data: num(t.disbursed_amount) },
          { type: "line", name: L.disbursed_count, yAxisIndex: 1, data: num(t.disbursed_count) },
          { type: "line", name: L.first_loans, yAxisIndex: 1, data: num(t.first_loans) }
        ]
      };
    },
    breakdown: function (d) {
      var b = d.breakdown;
      if (!b.categories.length) { return null; }
      return {
        color: COLORS, grid: grid(2), tooltip: { trigger: "axis" }, legend: legend(),
        xAxis: { type: "category", data: b.categories,
                 axisLabel: { hideOverlap: true, rotate: b.categories.length > 6 ? 30 : 0 } },
        yAxis: { type: "value" },
        series: [
          { type: "bar", name: L.demand_amount, data: num(b.demand_amount) },
          { type: "bar", name: L.disbursed_amount, data: num(b.disbursed_amount) }
        ]
      };
    }
  };
  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-stats-chart]"), function (node) {
    var build = builders[node.getAttribute("data-stats-chart")];
    var option = build ? build(data) : null;
    if (!option) { return; }
    node.style.width = "100%";
    node.style.height = "320px";
    var chart = echarts.init(node);
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
