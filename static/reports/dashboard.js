// 党建驾驶舱: draws the charts from the page's <script type="application/json" id="dashboard-data"> block
// (reports/dashboard.py chart_data). Every clickable element carries its link: a unit opens its own dashboard,
// the whole organisation opens the filtered list page. No inline scripts (Content-Security-Policy).
(function () {
  "use strict";

  var RED = "#b71c1c";
  var PALETTE = [RED, "#1565c0", "#f9a825", "#2e7d32", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037"];
  var STAGE_COLOURS = ["#90caf9", "#42a5f5", "#f9a825", RED];
  var charts = [];

  function narrow() {
    return window.innerWidth < 576;
  }

  function go(url) {
    if (url) {
      window.location.assign(url);
    }
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function empty(el, text) {
    var box = document.createElement("div");
    box.className = "dash-empty";
    box.textContent = text || "暂无数据";
    el.appendChild(box);
    el.setAttribute("data-ready", "empty");
  }

  function draw(el, option, onClick) {
    var chart = window.echarts.init(el, null, {renderer: "canvas", locale: "ZH"});
    option.color = option.color || PALETTE;
    option.aria = {enabled: true};
    option.textStyle = {fontFamily: "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"};
    // data-ready once the first rendering (and its animation) is over: tests and screenshots wait for it.
    chart.on("finished", function () {
      el.setAttribute("data-ready", "true");
    });
    chart.setOption(option);
    if (onClick) {
      chart.on("click", onClick);
    }
    charts.push(chart);
    return chart;
  }

  function truncated(width) {
    return {width: width, overflow: "truncate", ellipsis: "…"};
  }

  // How tall a chart of category rows must be, and whether it scrolls (dataZoom) instead of growing.
  function rowsLayout(el, count, perRow, maxRows, extra) {
    var shown = Math.min(count, maxRows);
    el.style.height = Math.max(200, shown * perRow + extra) + "px";
    if (count <= maxRows) {
      return [];
    }
    var end = maxRows - 1;
    return [
      {type: "slider", yAxisIndex: 0, startValue: 0, endValue: end, width: 14, right: 4, showDetail: false,
       brushSelect: false},
      {type: "inside", yAxisIndex: 0, startValue: 0, endValue: end, zoomOnMouseWheel: false,
       moveOnMouseWheel: true, moveOnMouseMove: false}
    ];
  }

  function members(el, data) {
    // One bar for the sub-organisations (the tooltip breaks it down by kind), one line for the members.
    var orgTotals = data.months.map(function (_, i) {
      return data.orgs.reduce(function (sum, s) { return sum + s.data[i]; }, 0);
    });
    draw(el, {
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items[0].dataIndex;
          var lines = [escapeHtml(data.months[i]), "党员 <b>" + data.members[i] + "</b> 人",
                       "下级党组织 <b>" + orgTotals[i] + "</b> 个"];
          data.orgs.forEach(function (s) {
            if (s.data[i]) {
              lines.push("&nbsp;&nbsp;" + escapeHtml(s.name) + " " + s.data[i]);
            }
          });
          return lines.join("<br>");
        }
      },
      legend: {bottom: 0},
      grid: {left: 8, right: 8, top: 28, bottom: 32, containLabel: true},
      xAxis: {type: "category", data: data.months,
              axisLabel: {formatter: function (v) { return v.replace(/^\d{4}年/, ""); }}},
      yAxis: [{type: "value", name: "党员（人）", minInterval: 1},
              {type: "value", name: "党组织（个）", minInterval: 1, splitLine: {show: false}}],
      series: [
        {name: "下级党组织", type: "bar", data: orgTotals, yAxisIndex: 1, barMaxWidth: 22,
         itemStyle: {color: "#90a4ae", opacity: 0.6}},
        {name: "党员", type: "line", data: data.members, yAxisIndex: 0, smooth: true, symbolSize: 7,
         lineStyle: {width: 3}, itemStyle: {color: RED}, z: 5}
      ]
    }, function (p) {
      go(p.seriesType === "line" ? data.membersUrl : data.orgsUrl);
    });
  }

  function dues(el, data) {
    var any = data.points.some(function (p) { return p.bills > 0; });
    if (!any) {
      return empty(el, "近12个月没有党费账单");
    }
    draw(el, {
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var p = items[0], d = data.points[p.dataIndex];
          var rate = d.value === "-" ? "—" : d.value + "%";
          return escapeHtml(p.name) + "<br>收缴率 <b>" + rate + "</b><br>已缴 " + d.paid + " / 应缴 " + d.bills;
        }
      },
      grid: {left: 8, right: 16, top: 24, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.months,
              axisLabel: {formatter: function (v) { return v.replace(/^\d{4}年/, ""); }}},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{name: "收缴率", type: "line", data: data.points, symbolSize: 8, connectNulls: false,
                areaStyle: {opacity: 0.08}, lineStyle: {width: 3},
                markLine: {silent: true, symbol: "none", data: [{yAxis: 100}], lineStyle: {type: "dashed"},
                           label: {show: false}}}]
    }, function (p) {
      go(p.data && p.data.url);
    });
  }

  function compliance(el, data) {
    if (!data.cells.length) {
      return empty(el, "本年度尚无到期的会议要求");
    }
    var names = data.rows.map(function (r) { return r.name; });
    var shortNames = {};   // the axis label formatter gets the category (its index is the visible window's)
    data.rows.forEach(function (r) { shortNames[r.name] = r.short; });
    var zoom = rowsLayout(el, names.length, 26, 15, 90);
    draw(el, {
      tooltip: {
        formatter: function (p) {
          var d = p.data, row = data.rows[d.value[1]];
          return escapeHtml(row.name) + " · " + data.months[d.value[0]] + "<br>合规率 <b>" + d.value[2] +
            "%</b><br>已召开 " + d.n[0] + " · 逾期 " + d.n[1] + (d.n[2] ? " · 本期未到期 " + d.n[2] : "") +
            (row.rate === null ? "" : "<br>全年 " + row.rate + "%");
        }
      },
      grid: {left: 8, right: zoom.length ? 28 : 8, top: 8, bottom: 44, containLabel: true},
      xAxis: {type: "category", data: data.months, splitArea: {show: true}, position: "top"},
      yAxis: {type: "category", data: names, inverse: true, splitArea: {show: true},
              axisLabel: Object.assign(truncated(narrow() ? 84 : 200), {
                formatter: function (value) { return shortNames[value]; }
              })},
      visualMap: {
        type: "piecewise", orient: "horizontal", left: "center", bottom: 0, dimension: 2,
        pieces: [{min: 90, max: 100, label: "≥90%", color: "#2e7d32"},
                 {min: 60, lt: 90, label: "60%–90%", color: "#f9a825"},
                 {min: 0, lt: 60, label: "<60%", color: "#c62828"}]
      },
      dataZoom: zoom,
      series: [{name: "合规率", type: "heatmap", data: data.cells,
                label: {show: !narrow(), formatter: function (p) { return Math.round(p.value[2]); }, fontSize: 11},
                emphasis: {itemStyle: {borderColor: "#333", borderWidth: 1}}}]
    }, function (p) {
      go(p.data && (p.data.url || data.rows[p.data.value[1]].url));   // a month's meetings, or the unit
    });
  }

  function pipelineByStage(el, data) {
    if (!data.stages.some(function (d) { return d.value > 0; })) {
      return empty(el, "没有进行中的发展党员档案");
    }
    draw(el, {
      tooltip: {trigger: "item", formatter: function (p) { return escapeHtml(p.name) + "<br>" + p.value + " 人"; }},
      grid: {left: 8, right: 8, top: 24, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.stages.map(function (d) { return d.name; }),
              axisLabel: {interval: 0, fontSize: narrow() ? 10 : 12}},
      yAxis: {type: "value", minInterval: 1},
      series: [{name: "人数", type: "bar", barMaxWidth: 40, label: {show: true, position: "top"},
                data: data.stages.map(function (d, i) {
                  return {name: d.name, value: d.value, url: d.url, itemStyle: {color: STAGE_COLOURS[i]}};
                })}]
    }, function (p) {
      go(p.data && p.data.url);
    });
  }

  function pipeline(el, data) {
    if (data.stages) {
      return pipelineByStage(el, data);
    }
    var total = 0;
    data.series.forEach(function (s) { s.data.forEach(function (n) { total += n; }); });
    if (!total) {
      return empty(el, "没有进行中的发展党员档案");
    }
    var zoom = rowsLayout(el, data.rows.length, 28, 10, 70);
    var shortNames = {};
    data.rows.forEach(function (name, i) { shortNames[name] = data.short[i]; });
    draw(el, {
      color: STAGE_COLOURS,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0, type: "scroll"},
      grid: {left: 8, right: zoom.length ? 28 : 16, top: 32, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: data.rows, inverse: true,
              axisLabel: Object.assign(truncated(narrow() ? 84 : 180), {
                formatter: function (value) { return shortNames[value]; }
              })},
      dataZoom: zoom,
      series: data.series.map(function (s) {
        return {name: s.name, type: "bar", stack: "stages", data: s.data, barMaxWidth: 20};
      })
    }, function (p) {
      go(data.urls[p.dataIndex]);
    });
  }

  function service(el, data) {
    var any = data.items.some(function (d) { return d.value > 0; });
    if (!any) {
      return empty(el, "近12个月没有服务工作记录");
    }
    draw(el, {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data;
          return escapeHtml(d.name) + "<br>" + d.value + " 次" +
            (d.person_times === null ? "" : "，" + d.person_times + (d.name === "慰问" ? " 人" : " 人次"));
        }
      },
      grid: {left: 8, right: 40, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: data.items.map(function (d) { return d.name; }), inverse: true,
              axisLabel: truncated(narrow() ? 96 : 150)},
      series: [{name: "次数", type: "bar", data: data.items, barMaxWidth: 18, label: {show: true, position: "right"},
                itemStyle: {color: RED}}]
    }, function (p) {
      go(p.data && p.data.url);
    });
  }

  var DRAW = {members: members, dues: dues, compliance: compliance, pipeline: pipeline, service: service};

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.echarts) {
      return;
    }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      if (DRAW[name] && data[name]) {
        DRAW[name](el, data[name]);
      }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (c) { c.resize(); });
      }, 120);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
