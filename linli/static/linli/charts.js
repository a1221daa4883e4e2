/* The home page's charts: Apache ECharts (served from /static/vendor/echarts/), drawn from the JSON in
   <script id="linli-charts" type="application/json">, which the page renders in its own language.
   No inline script (the Content-Security-Policy allows only files). */
(function () {
  "use strict";
  var source = document.getElementById("linli-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var palette = ["#b5262b", "#1d6fa5", "#1d7a46", "#a15c00"];
  var font = getComputedStyle(document.documentElement).fontFamily;
  var charts = [];
  var fmt = function (v) { return Number(v).toLocaleString(document.documentElement.lang || undefined); };

  function monthOption(f, i) {
    return {
      textStyle: { fontFamily: font },
      grid: { left: 8, right: 12, top: 16, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + " " + f.unit; } },
      xAxis: { type: "category", data: data.months, axisLabel: { hideOverlap: true, fontSize: 11 },
               axisTick: { alignWithLabel: true } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 11, formatter: fmt },
               splitLine: { lineStyle: { color: "#eef0f2" } } },
      series: [{ name: f.label, type: "bar", data: f.by_month, itemStyle: { color: palette[i % palette.length],
                 borderRadius: [3, 3, 0, 0] }, barMaxWidth: 28 }]
    };
  }

  function communityOption(f, i) {
    var order = data.communities.map(function (name, k) { return [name, f.by_community[k]]; })
      .sort(function (a, b) { return a[1] - b[1]; });
    return {
      textStyle: { fontFamily: font },
      grid: { left: 8, right: 48, top: 8, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                 valueFormatter: function (v) { return fmt(v) + " " + f.unit; } },
      xAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 11, formatter: fmt, hideOverlap: true },
               splitLine: { lineStyle: { color: "#eef0f2" } } },
      yAxis: { type: "category", data: order.map(function (r) { return r[0]; }), axisLabel: { fontSize: 12 } },
      series: [{ name: f.label, type: "bar", data: order.map(function (r) { return r[1]; }),
                 itemStyle: { color: palette[i % palette.length], borderRadius: [0, 3, 3, 0] }, barMaxWidth: 22,
                 label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return fmt(p.value); } } }]
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var kind = el.getAttribute("data-chart");
    var i = Number(el.getAttribute("data-figure"));
    if (kind === "community") { el.style.height = Math.max(220, data.communities.length * 30 + 40) + "px"; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(kind === "month" ? monthOption(data.figures[i], i) : communityOption(data.figures[i], i));
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
    if (kind === "community") {
      var select = document.querySelector("[data-chart-select]");
      if (select) {
        select.addEventListener("change", function () {
          var j = Number(select.value);
          chart.setOption(communityOption(data.figures[j], j), true);
        });
      }
    }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
