/* The portfolio page's charts (ECharts, served from /vendor), drawn from the JSON the page carries.
   Each chart follows its box: window resizes and phone rotations redraw it at the new width. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var narrow = function () { return window.innerWidth < 720; };
  var base = function () {
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      animation: false,
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true }
    };
  };
  var empty = function (option) {
    option.graphic = { type: "text", left: "center", top: "middle", style: { text: data.noData, fill: "#5f6b7a", fontSize: 14 } };
    return option;
  };
  var builders = {
    classification: function () {
      var d = data.classification, total = d.items.reduce(function (s, i) { return s + i.value; }, 0);
      var o = base();
      o.tooltip = { trigger: "item", confine: true, formatter: function (p) {
        return p.name + "<br>" + p.value.toLocaleString() + " " + data.unit + " · " + p.data.loans + " · " + p.percent + "%"; } };
      o.legend = { bottom: 0, icon: "circle", itemWidth: 10, itemHeight: 10 };
      o.color = d.items.map(function (i) { return i.colour; });
      o.series = [{ type: "pie", radius: narrow() ? ["34%", "56%"] : ["42%", "68%"], center: ["50%", "44%"],
        avoidLabelOverlap: true, label: { formatter: narrow() ? "{d}%" : "{b}\n{d}%", fontSize: 12, overflow: "none" },
        data: d.items.filter(function (i) { return i.value > 0; }) }];
      return total > 0 ? o : empty(o);
    },
    buckets: function () {
      var d = data.buckets, o = base();
      o.grid.top = 28;
      o.tooltip.formatter = function (ps) {
        var p = ps[0]; return p.name + "<br>" + d.balanceName + " " + p.value + " " + data.unit + " · " + d.loansName + " " + d.loans[p.dataIndex]; };
      o.xAxis = { type: "category", data: d.labels, axisLabel: { interval: 0, fontSize: narrow() ? 10 : 12 } };
      o.yAxis = { type: "value", name: data.unit, nameTextStyle: { align: "left" } };
      o.series = [{ name: d.balanceName, type: "bar", data: d.balance, barMaxWidth: 44,
        label: { show: true, position: "top", fontSize: 11, formatter: function (p) { return d.loans[p.dataIndex] ? d.loans[p.dataIndex] + " " + d.loansUnit : ""; } },
        itemStyle: { color: function (p) { return ["#d4a017", "#e89a3c", "#e06c00", "#b3261e", "#5a1a1a"][p.dataIndex]; } } }];
      return d.loans.some(function (n) { return n > 0; }) ? o : empty(o);
    },
    inspections: function () {
      var d = data.inspections, o = base();
      o.legend = { top: 0, data: [d.overdueName, d.dueName] };
      o.xAxis = { type: "value", minInterval: 1 };
      o.yAxis = { type: "category", data: d.officers, inverse: true, axisLabel: { width: narrow() ? 64 : 120, overflow: "truncate" } };
      o.series = [
        { name: d.overdueName, type: "bar", stack: "n", data: d.overdue, barMaxWidth: 28, itemStyle: { color: "#b3261e" } },
        { name: d.dueName, type: "bar", stack: "n", data: d.due, barMaxWidth: 28, itemStyle: { color: "#d4a017" } }];
      return o;
    },
    signals: function () {
      var d = data.signals, o = base();
      o.legend = { type: "scroll", top: 0 };
      o.grid.top = 44;
      o.xAxis = { type: "category", data: d.months.map(function (m) { return m.slice(2).replace("-", "/"); }),
        axisLabel: { fontSize: narrow() ? 10 : 12 } };
      o.yAxis = { type: "value", minInterval: 1 };
      o.color = ["#0b5c7a", "#b3261e", "#d4a017", "#1e7b3b", "#7a4fb3", "#e06c00", "#2f8fb0", "#5a1a1a", "#8a9a5b", "#c05a8a"];
      o.series = d.series.map(function (s) { return { name: s.name, type: "bar", stack: "signals", data: s.data, barMaxWidth: 24 }; });
      return o;
    }
  };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var build = builders[el.getAttribute("data-chart")];
    if (!build) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build());
    charts.push({ chart: chart, build: build });
  });
  var wasNarrow = narrow(), pending = null;
  var resize = function () {
    if (pending) { cancelAnimationFrame(pending); }
    pending = requestAnimationFrame(function () {
      var now = narrow();
      charts.forEach(function (c) {
        if (now !== wasNarrow) { c.chart.setOption(c.build(), true); }
        c.chart.resize();
      });
      wasNarrow = now;
    });
  };
  window.addEventListener("resize", resize);
  if (typeof ResizeObserver !== "undefined") {
    var observer = new ResizeObserver(resize);
    charts.forEach(function (c) { observer.observe(c.chart.getDom()); });
  }
})();
