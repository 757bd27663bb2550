/* Profile charts (Apache ECharts, vendored). Data comes from the JSON block
   #profile-chart-data; each container names its chart in data-chart. No inline script:
   the page's CSP is script-src 'self'. Tables on the page carry the same figures. */
(function () {
  "use strict";
  var block = document.getElementById("profile-chart-data");
  if (!block || typeof echarts === "undefined") { return; }
  var data;
  try { data = JSON.parse(block.textContent); } catch (e) { return; }
  var english = (document.documentElement.lang || "").indexOf("en") === 0;
  var UTILITY_NAMES = english
    ? { water: "Water", electricity: "Electricity", gas: "Gas", heating: "Heating" }
    : { water: "水", electricity: "电", gas: "燃气", heating: "供暖" };
  var COLORS = ["#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c"];
  var charts = [];

  function grid() { return { left: 48, right: 12, top: 28, bottom: 40, containLabel: true }; }

  function monthAxis(periods) {
    return { type: "category", data: periods, axisLabel: { hideOverlap: true } };
  }

  var builders = {
    dimensions: function (d) {
      if (!d.dimensions || !d.dimensions.length) { return null; }
      return {
        color: COLORS,
        tooltip: {},
        radar: {
          radius: "62%",
          indicator: d.dimensions.map(function (x) { return { name: x.name, max: 100 }; })
        },
        series: [{
          type: "radar",
          areaStyle: { opacity: 0.2 },
          data: [{ value: d.dimensions.map(function (x) { return x.score; }),
                   name: english ? "Score" : "得分" }]
        }]
      };
    },
    tax: function (d) {
      if (!d.tax || !d.tax.periods.length) { return null; }
      return {
        color: COLORS, grid: grid(), tooltip: { trigger: "axis" },
        xAxis: monthAxis(d.tax.periods), yAxis: { type: "value" },
        series: [{ type: "bar", name: english ? "Tax paid" : "纳税额", data: d.tax.amounts }]
      };
    },
    utilities: function (d) {
      var u = d.utilities;
      if (!u || !u.periods.length) { return null; }
      var series = Object.keys(u.series).map(function (key) {
        return { type: "bar", stack: "paid", name: UTILITY_NAMES[key] || key, data: u.series[key] };
      });
      return {
        color: COLORS, grid: grid(), tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: monthAxis(u.periods), yAxis: { type: "value" }, series: series
      };
    },
    social: function (d) {
      if (!d.social || !d.social.periods.length) { return null; }
      return {
        color: COLORS, grid: grid(), tooltip: { trigger: "axis" },
        xAxis: monthAxis(d.social.periods), yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "line", name: english ? "Insured" : "参保人数",
                   data: d.social.headcount, smooth: true }]
      };
    }
  };

  var nodes = document.querySelectorAll("[data-chart]");
  Array.prototype.forEach.call(nodes, function (node) {
    var build = builders[node.getAttribute("data-chart")];
    var option = build ? build(data) : null;
    if (!option) { return; }
    node.style.width = "100%";
    node.style.height = node.getAttribute("data-chart") === "dimensions" ? "300px" : "240px";
    var chart = echarts.init(node);
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
