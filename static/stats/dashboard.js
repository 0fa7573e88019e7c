// The dashboard: fills the page from /api/v1/stats/… (summary, trend, breakdown, map, ranking), draws the
// charts with Apache ECharts (static/vendor/echarts) and the choropleth with Leaflet, and keeps what the
// user chose (period, drill-down, measure, switches) in the URL so a link restores the same view.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var text = config.labels.messages;
  var levels = config.labels.levels;
  var state = config.state;
  var root = config.root;
  var place = config.place;
  var body = document.body;

  // Numbers ---------------------------------------------------------------------------------------
  function count(n) { return n === null || n === undefined ? text.none : Number(n).toLocaleString("en-US"); }
  function rate(r) { return r === null || r === undefined ? text.none : (r * 100).toFixed(1) + "%"; }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function minutes(m) {
    if (m === null || m === undefined) return text.none;
    return m < 120 ? fill(text.minutes, { n: Math.round(m) }) : fill(text.hours, { n: (m / 60).toFixed(1) });
  }
  function hours(h) { return h === null || h === undefined ? text.none : fill(text.hours, { n: h.toFixed(1) }); }
  var FORMAT = { count: count, rate: rate, minutes: minutes, hours: hours };
  var RATE_MEASURES = { satisfaction: 1, response_rate: 1, resolution_rate: 1, on_time_resolution_rate: 1,
                        visit_coverage: 1 };
  // Visits door to door: the map's table shows the households registered beside them.
  var VISIT_MEASURES = { households_visited: 1, visit_coverage: 1 };
  function measureValue(measure, v) {
    if (v === null || v === undefined) return text.none;
    if (RATE_MEASURES[measure]) return rate(v);
    if (measure === "per_thousand") return v.toFixed(2);
    return count(v);
  }

  // The API ---------------------------------------------------------------------------------------
  function periodParams() { return { start: state.start, end: state.end }; }
  // The area the headline, cards, counts of now, trend and breakdown are of: the place drilled to, as the
  // API's area=<level>:<code>; none for the user's own area (nor for department staff, whose figures are
  // the department's, not an area's: for them the panel under the map shows the place's).
  var AREA_LEVELS = { street: 1, community: 1, grid: 1 };
  function area() {
    if (root.level === "department" || !AREA_LEVELS[place.level]) return "";
    if (place.level === root.level && place.code === root.code) return "";
    return place.level + ":" + place.code;
  }
  function figuresParams(extra) {
    var params = Object.assign(periodParams(), extra || {});
    if (area()) params.area = area();
    return params;
  }
  function figuresName() { return area() ? place.name : root.name; }
  // Each loader draws only its latest answer: drilling quickly must not leave an earlier area's figures.
  var tickets = {};
  function ticket(name) { tickets[name] = (tickets[name] || 0) + 1; return tickets[name]; }
  function current(name, number) { return tickets[name] === number; }
  function api(name, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(config.urls[name] + "?" + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(name + " " + response.status);
        return response.json();
      });
  }
  function failed(element) {
    return function (error) {
      if (element) { element.textContent = text.failed; element.classList.add("error"); }
      if (window.console) console.error(error);
    };
  }

  // The URL keeps the state -----------------------------------------------------------------------
  var STATE_KEYS = ["period", "start", "end", "street", "community", "grid", "measure", "interval", "by", "ranking",
                    "month"];
  function stateQuery(overrides) {
    var values = Object.assign({}, state, overrides || {});
    var params = new URLSearchParams();
    STATE_KEYS.forEach(function (key) {
      if ((key === "start" || key === "end") && values.period !== "custom") return;
      if (values[key]) params.set(key, values[key]);
    });
    return "?" + params.toString();
  }
  function remember(push) {
    var url = window.location.pathname + stateQuery();
    if (push) window.history.pushState(state, "", url); else window.history.replaceState(state, "", url);
    document.querySelectorAll("#period-form input[type=hidden]").forEach(function (input) {
      input.value = state[input.name] || "";
    });
    var ranking = "?month=" + state.month + "&level=" + state.ranking;
    var page = document.getElementById("evaluation-page");
    if (page) {
      page.href = config.urls.evaluation + ranking;
      document.getElementById("evaluation-xlsx").href = config.urls.evaluation + ranking + "&format=xlsx";
    }
  }
  window.addEventListener("popstate", function () { window.location.reload(); });

  // Tables (every chart's table view) -------------------------------------------------------------
  function table(element, headers, rows) {
    element.replaceChildren();
    var head = element.createTHead().insertRow();
    headers.forEach(function (label) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      head.append(th);
    });
    var tbody = element.createTBody();
    rows.forEach(function (cells) {
      var tr = tbody.insertRow();
      cells.forEach(function (cell, index) {
        var td = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) td.scope = "row";
        if (cell instanceof Node) td.append(cell); else td.textContent = cell;
        tr.append(td);
      });
    });
  }

  // Headline, KPI cards, counts of now ------------------------------------------------------------
  function loadSummary() {
    var headline = document.getElementById("headline");
    var number = ticket("summary");
    body.dataset.summaryLoaded = "";
    document.querySelectorAll(".figures-name").forEach(function (span) { span.textContent = figuresName(); });
    api("summary", figuresParams()).then(function (summary) {
      if (!current("summary", number)) return;
      var f = summary.figures;
      headline.textContent = summary.headline;
      document.getElementById("headline-exact").textContent = fill(text.exact, {
        accepted: count(f.accepted), solved: count(f.solved), satisfaction: rate(f.satisfaction_rate),
        rated: count(f.rated), unrated: count(f.unrated),
      });
      document.querySelectorAll("#kpis .kpi").forEach(function (card) {
        var key = card.id.replace("kpi-", "");
        card.querySelector(".kpi-value").textContent = FORMAT[card.dataset.kind](f[key]);
      });
      document.getElementById("kpi-unrated").textContent = text.unrated + " " + count(f.unrated);
      [["open", "open"], ["overdue", "overdue"], ["supervised", "supervised"],
       ["accountability", "accountability_candidates"]].forEach(function (pair) {
        document.querySelector("#current-" + pair[0] + " .count-number").textContent = count(summary.current[pair[1]]);
      });
      body.dataset.summaryArea = summary.area || "-";
      body.dataset.summaryLoaded = "1";
    }).catch(failed(headline));
  }

  // Charts ----------------------------------------------------------------------------------------
  var charts = {};
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
      charts[id].on("finished", function () { document.getElementById(id).dataset.drawn = "1"; });
    }
    return charts[id];
  }
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    if (map) map.invalidateSize();
  });
  var COLOURS = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"];

  function pointLabel(start) {
    if (state.interval === "month") return start.slice(0, 7);
    return start.slice(5);
  }

  function loadTrend() {
    var element = document.getElementById("trend-chart");
    element.dataset.drawn = "";
    var number = ticket("trend");
    api("trend", figuresParams({ interval: state.interval })).then(function (trend) {
      if (!current("trend", number)) return;
      var labels = trend.points.map(function (p) { return pointLabel(p.start); });
      var series = [["received", text.received], ["accepted", text.accepted], ["solved", text.solved],
                    ["closed", text.closed]];
      chart("trend-chart").setOption({
        color: COLOURS, animationDuration: 300,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28, containLabel: true },
        xAxis: { type: "category", data: labels },
        yAxis: { type: "value", minInterval: 1 },
        series: series.map(function (s, index) {
          return { name: s[1], type: index === 0 ? "bar" : "line", data: trend.points.map(function (p) { return p[s[0]]; }) };
        }),
      }, true);
      table(document.getElementById("trend-table"),
            [text.period, text.received, text.accepted, text.resolved, text.solved, text.closed, text.responseRate,
             text.satisfaction],
            trend.points.map(function (p) {
              return [p.start, count(p.received), count(p.accepted), count(p.resolved), count(p.solved),
                      count(p.closed), rate(p.response_rate), rate(p.satisfaction_rate)];
            }));
      body.dataset.trendArea = trend.area || "-";
      body.dataset.trendLoaded = trend.interval;
    }).catch(failed(element));
  }

  // A breakdown by a level not below the area shown would be one bar or none: such buttons are off, and
  // the breakdown falls back to categories (state.by is kept, so going back up restores it).
  var BY_LEVELS = ["district", "department", "street", "community", "grid"];
  function breakdownAllowed(by) {
    var level = area() ? place.level : root.level;
    return BY_LEVELS.indexOf(by) < 0 || BY_LEVELS.indexOf(by) > BY_LEVELS.indexOf(level);
  }
  function breakdownBy() { return breakdownAllowed(state.by) ? state.by : "top_category"; }
  function loadBreakdown() {
    var element = document.getElementById("breakdown-chart");
    element.dataset.drawn = "";
    var by = breakdownBy();
    document.querySelectorAll("#by-switch button").forEach(function (button) {
      button.disabled = !breakdownAllowed(button.dataset.value);
      button.setAttribute("aria-pressed", String(button.dataset.value === by));
    });
    var number = ticket("breakdown");
    api("breakdown", figuresParams({ by: by })).then(function (breakdown) {
      if (!current("breakdown", number)) return;
      var rows = breakdown.rows;
      var names = rows.map(function (r) { return r.name; });
      element.style.height = Math.max(260, 60 + rows.length * 26) + "px";
      var c = chart("breakdown-chart");
      c.resize();
      c.setOption({
        color: COLOURS, animationDuration: 300,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 120, overflow: "truncate" } },
        series: [
          { name: text.received, type: "bar", data: rows.map(function (r) { return r.received; }) },
          { name: text.solved, type: "bar", data: rows.map(function (r) { return r.solved; }) },
        ],
      }, true);
      table(document.getElementById("breakdown-table"),
            [text.name, text.received, text.accepted, text.solved, text.closed, text.responseRate, text.resolutionRate,
             text.satisfaction, text.unrated],
            rows.map(function (r) {
              return [r.name, count(r.received), count(r.accepted), count(r.solved), count(r.closed),
                      rate(r.response_rate), rate(r.resolution_rate), rate(r.satisfaction_rate), count(r.unrated)];
            }));
      body.dataset.breakdownArea = breakdown.area || "-";
      body.dataset.breakdownLoaded = breakdown.by;
    }).catch(failed(element));
  }

  // The ranking (每月一评) ---------------------------------------------------------------------------
  function loadRanking() {
    var element = document.getElementById("ranking-table");
    if (!element) return;
    api("ranking", { month: state.month, level: state.ranking }).then(function (ranking) {
      var weights = Object.keys(ranking.weights);
      var total = weights.reduce(function (sum, k) { return sum + (ranking.weights[k] || 0); }, 0) || 1;
      var names = { response_rate: text.responseRate, resolution_rate: text.resolutionRate,
                    on_time_resolution_rate: text.onTimeRate, satisfaction_rate: text.satisfaction };
      document.getElementById("ranking-weights").textContent = fill(text.weights, {
        weights: weights.map(function (k) {
          return (names[k] || k) + " " + Math.round(100 * ranking.weights[k] / total) + "%";
        }).join(", "),
      });
      var headers = [text.rank, text.name, text.score].concat(weights.map(function (k) { return names[k] || k; }))
        .concat([text.accepted, text.solved]);
      table(element, headers, ranking.rows.map(function (r) {
        return [String(r.rank), r.name, r.score === null ? text.none : r.score.toFixed(2)]
          .concat(weights.map(function (k) { return rate(r[k]); }))
          .concat([count(r.accepted), count(r.solved)]);
      }));
      if (!ranking.rows.length) element.createCaption().textContent = text.rankingEmpty;
      body.dataset.rankingLoaded = ranking.level + ":" + ranking.rows.length;
    }).catch(failed(element));
  }

  // The map: drill-down district → street → community → grid --------------------------------------
  var map = null;
  var coords = JianhuaCoords.forMap(config.coordSys); // the grids are WGS-84; an Amap base map is GCJ-02
  var gridLayer = null;
  var collection = null;
  var mapValues = {};
  var streetsByName = {};
  var communityByNames = {};
  var streetNames = {};
  var communityNames = {};
  config.areas.forEach(function (c) {
    streetsByName[c.streetName] = c.street;
    communityByNames[c.streetName + "|" + c.name] = c.code;
    streetNames[c.street] = c.streetName;
    communityNames[c.code] = c.name;
  });

  // Which areas the map shows for where the user stands: the children of the place, or a grid's siblings.
  function mapLevel() {
    if (place.level === "street") return { level: "community", parent: place.code };
    if (place.level === "community") return { level: "grid", parent: place.code };
    if (place.level === "grid") return { level: "grid", parent: place.community };
    return { level: "street", parent: "" };
  }
  function areaOf(feature, level) {
    var p = feature.properties;
    if (level === "street") return streetsByName[p.street];
    if (level === "community") return communityByNames[p.street + "|" + p.community];
    return p.code;
  }

  var REDS = ["#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"];
  var GREENS = ["#edf8e9", "#c7e9c0", "#a1d99b", "#74c476", "#31a354", "#006d2c"];
  var NO_DATA = "#d0d0d0";
  var classes = null;
  function classify(values, measure) {
    var present = values.filter(function (v) { return v !== null && v !== undefined; });
    var palette = RATE_MEASURES[measure] || VISIT_MEASURES[measure] ? GREENS : REDS; // green: more is better
    if (!present.length) return { breaks: [], palette: palette };
    var min = Math.min.apply(null, present);
    var max = Math.max.apply(null, present);
    var steps = max > min ? palette.length : 1;
    var breaks = [];
    for (var i = 0; i < steps; i++) breaks.push(min + (max - min) * i / steps);
    return { breaks: breaks, min: min, max: max, palette: steps === 1 ? [palette[3]] : palette };
  }
  function colourFor(value) {
    if (value === null || value === undefined || !classes.breaks.length) return NO_DATA;
    var index = 0;
    for (var i = 0; i < classes.breaks.length; i++) if (value >= classes.breaks[i]) index = i;
    return classes.palette[index];
  }
  function drawLegend(measure) {
    var legend = document.getElementById("map-legend");
    legend.replaceChildren();
    var title = document.createElement("p");
    title.className = "legend-title";
    title.textContent = config.labels.measures[measure];
    legend.append(title);
    var list = document.createElement("ul");
    classes.breaks.forEach(function (low, index) {
      var high = index + 1 < classes.breaks.length ? classes.breaks[index + 1] : classes.max;
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = classes.palette[index];
      item.append(swatch, measureValue(measure, low) + (high > low ? " – " + measureValue(measure, high) : ""));
      list.append(item);
    });
    var none = document.createElement("li");
    var swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = NO_DATA;
    none.append(swatch, text.legendNoData);
    list.append(none);
    legend.append(list);
  }

  function styleFor(feature) {
    var at = mapLevel();
    var code = areaOf(feature, at.level);
    var selected = place.level === "grid" && feature.properties.code === place.code;
    var colour = colourFor(mapValues[code] ? mapValues[code].value : null);
    return { color: selected ? "#000" : (at.level === "grid" ? "#555" : colour), weight: selected ? 3 : (at.level === "grid" ? 1 : 0.6),
             opacity: 0.9, fillColor: colour, fillOpacity: 0.8 };
  }

  function drillTo(level, code, name, push) {
    if (level === "street") {
      place = { level: "street", code: code, name: name || streetNames[code] || code, street: "", community: "" };
    } else if (level === "community") {
      var street = (config.areas.filter(function (c) { return c.code === code; })[0] || {}).street || "";
      place = { level: "community", code: code, name: name || communityNames[code] || code, street: street,
                community: "" };
    } else if (level === "grid") {
      var at = mapLevel();
      var community = place.level === "grid" ? place.community : (place.level === "community" ? place.code : at.parent);
      var streetOfCommunity = (config.areas.filter(function (c) { return c.code === community; })[0] || {}).street || "";
      place = { level: "grid", code: code, name: name || code, street: streetOfCommunity, community: community };
    } else {
      place = Object.assign({}, root);
    }
    state.street = place.level === "street" ? place.code : (place.street || "");
    state.community = place.level === "community" ? place.code : (place.community || "");
    state.grid = place.level === "grid" ? place.code : "";
    if (root.level === "street" || root.level === "community" || root.level === "grid") {
      // Above one's own area there is nothing to see: the root stays the top.
      if (place.level === "district") place = Object.assign({}, root);
    }
    remember(push !== false);
    drawCrumbs();
    loadMap();
    loadSummary();
    loadTrend();
    loadBreakdown();
    loadPlace();
  }

  var ORDER = ["district", "department", "street", "community", "grid"];
  function crumbs() {
    var path = [{ level: root.level, code: root.code, name: root.name }];
    var streetCode = place.level === "street" ? place.code : place.street;
    var communityCode = place.level === "community" ? place.code : place.community;
    [["street", streetCode, streetNames[streetCode]], ["community", communityCode, communityNames[communityCode]],
     ["grid", place.level === "grid" ? place.code : "", place.name]].forEach(function (c) {
      if (c[1] && ORDER.indexOf(c[0]) > ORDER.indexOf(root.level)) path.push({ level: c[0], code: c[1], name: c[2] || c[1] });
    });
    return path;
  }
  function drawCrumbs() {
    var list = document.getElementById("crumbs");
    list.replaceChildren();
    var path = crumbs();
    path.forEach(function (crumb, index) {
      var item = document.createElement("li");
      if (index === path.length - 1) {
        item.textContent = crumb.name;
        item.setAttribute("aria-current", "location");
      } else {
        var link = document.createElement("a");
        link.textContent = crumb.name;
        link.dataset.level = crumb.level;
        var up = index === 0 ? { street: "", community: "", grid: "" }
          : crumb.level === "street" ? { street: crumb.code, community: "", grid: "" }
          : { community: crumb.code, grid: "" };
        link.href = stateQuery(up);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          drillTo(index === 0 ? "root" : crumb.level, crumb.code, crumb.name);
        });
        item.append(link);
      }
      list.append(item);
    });
    var hint = document.getElementById("drill-hint");
    hint.textContent = place.level === "grid" ? "" : text.drillHint;
  }

  function drillLink(level, row) {
    var link = document.createElement("a");
    link.textContent = row.name;
    var next = level === "street" ? { street: row.code, community: "", grid: "" }
      : level === "community" ? { community: row.code, grid: "" } : { grid: row.code };
    link.href = stateQuery(next);
    link.className = "drill";
    link.dataset.code = row.code;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      drillTo(level, row.code, row.name);
    });
    return link;
  }

  function ensureMap() {
    if (map) return Promise.resolve();
    map = L.map("dashboard-map", { center: coords.toDisplay(L.latLng(config.center)), zoom: config.zoom, zoomSnap: 0.25 });
    window.dashboardMap = map; // for the browser tests and anyone debugging in the console
    JianhuaCoords.addTiles(map, config.tileLayers);
    return fetch(config.geojsonUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { collection = data; });
  }

  var mapRequest = 0;
  function loadMap() {
    var at = mapLevel();
    var measure = state.measure;
    var ticket = ++mapRequest;
    body.dataset.mapDrawn = "";
    var params = Object.assign(periodParams(), { level: at.level, measure: measure });
    if (at.parent) params.parent = at.parent;
    Promise.all([ensureMap(), api("map", params)]).then(function (answers) {
      if (ticket !== mapRequest) return;
      var areas = answers[1].areas;
      mapValues = {};
      areas.forEach(function (a) { mapValues[a.code] = a; });
      classes = classify(areas.map(function (a) { return a.value; }), measure);
      if (gridLayer) gridLayer.remove();
      var features = collection.features.filter(function (f) { return areaOf(f, at.level) in mapValues; });
      gridLayer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: styleFor,
        coordsToLatLng: coords.coordsToLatLng,
        onEachFeature: function (feature, layer) {
          var code = areaOf(feature, at.level);
          var area = mapValues[code];
          layer.bindTooltip(area.name + ": " + measureValue(measure, area.value), { sticky: true });
          layer.on("click", function () { drillTo(at.level, code, area.name); });
        },
      }).addTo(map);
      if (features.length) {
        var bounds = gridLayer.getBounds();
        if (place.level === "grid") {
          gridLayer.eachLayer(function (layer) {
            if (layer.feature.properties.code === place.code) layer.bringToFront();
          });
        }
        map.fitBounds(bounds, { padding: [8, 8], animate: false });
      }
      drawLegend(measure);
      var perThousand = measure === "per_thousand";
      var visits = VISIT_MEASURES[measure];
      table(document.getElementById("map-table"),
            [levels[at.level], config.labels.measures[measure]].concat(perThousand ? [text.population] : [])
              .concat(visits ? [text.households] : []),
            areas.map(function (a) {
              var cells = [drillLink(at.level, a), measureValue(measure, a.value)];
              if (perThousand) cells.push(count(a.population));
              if (visits) cells.push(count(a.households));
              return cells;
            }));
      body.dataset.mapDrawn = at.level + ":" + (at.parent || "-") + ":" + features.length;
    }).catch(failed(document.getElementById("map-legend")));
  }

  // Department staff only: their figures are the department's, which the API does not narrow to an area,
  // so the department's figures in the place drilled to come from the breakdown by the place's level and
  // its counts of now from the map. Everyone else's main figures follow the place (area()).
  var breakdownCache = {};
  function loadPlace() {
    var panel = document.getElementById("place-figures");
    if (root.level !== "department" || (place.level === root.level && place.code === root.code)) {
      panel.hidden = true;
      panel.dataset.code = "";
      return;
    }
    var level = place.level;
    var parent = level === "street" ? "" : (level === "community" ? place.street : place.community);
    var key = level + state.start + state.end;
    if (!breakdownCache[key]) {
      breakdownCache[key] = api("breakdown", Object.assign(periodParams(), { by: level }));
    }
    var now = function (measure) {
      var params = Object.assign(periodParams(), { level: level, measure: measure });
      if (parent) params.parent = parent;
      return api("map", params);
    };
    var code = place.code;
    var name = place.name;
    panel.hidden = false;
    panel.dataset.code = "";
    panel.textContent = text.loading;
    Promise.all([breakdownCache[key], now("open"), now("overdue")]).then(function (answers) {
      if (place.code !== code) return;
      var row = answers[0].rows.filter(function (r) { return r.code === code; })[0] || {};
      var live = function (answer) {
        var area = answer.areas.filter(function (a) { return a.code === code; })[0];
        return area ? area.value : null;
      };
      panel.replaceChildren();
      var title = document.createElement("h3");
      title.textContent = fill(text.placeFigures, { name: row.name || name });
      var list = document.createElement("dl");
      list.className = "facts";
      [[text.received, count(row.received)], [text.accepted, count(row.accepted)], [text.solved, count(row.solved)],
       [text.closed, count(row.closed)], [text.responseRate, rate(row.response_rate)],
       [text.resolutionRate, rate(row.resolution_rate)], [text.satisfaction, rate(row.satisfaction_rate)],
       [text.unrated, count(row.unrated)], [text.open, count(live(answers[1]))],
       [text.overdue, count(live(answers[2]))]].forEach(function (pair) {
        var dt = document.createElement("dt");
        dt.textContent = pair[0];
        var dd = document.createElement("dd");
        dd.textContent = pair[1];
        list.append(dt, dd);
      });
      panel.append(title, list);
      panel.dataset.code = code;
      panel.dataset.level = level;
    }).catch(failed(panel));
  }

  // Controls --------------------------------------------------------------------------------------
  function switchGroup(id, key, reload) {
    var group = document.getElementById(id);
    if (!group) return;
    group.querySelectorAll("button").forEach(function (button) {
      button.addEventListener("click", function () {
        state[key] = button.dataset.value;
        group.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        remember(false);
        reload();
      });
    });
  }
  function limitIntervals() {
    var days = Math.round((new Date(state.end) - new Date(state.start)) / 86400000) + 1;
    document.querySelectorAll("#interval-switch button").forEach(function (button) {
      var most = config.maxDays[button.dataset.value];
      button.disabled = Boolean(most) && days > most;
    });
  }
  switchGroup("interval-switch", "interval", loadTrend);
  switchGroup("by-switch", "by", loadBreakdown);
  switchGroup("ranking-switch", "ranking", loadRanking);
  document.getElementById("measure").addEventListener("change", function (event) {
    state.measure = event.target.value;
    remember(false);
    loadMap();
  });
  var month = document.getElementById("ranking-month");
  if (month) {
    month.addEventListener("change", function () {
      if (!/^\d{4}-\d{2}$/.test(month.value)) return;
      state.month = month.value;
      remember(false);
      loadRanking();
    });
  }
  var periodSelect = document.getElementById("id_period");
  var customDays = document.getElementById("custom-days");
  function showCustom() { customDays.hidden = periodSelect.value !== "custom"; }
  periodSelect.addEventListener("change", showCustom);
  showCustom();

  limitIntervals();
  remember(false);
  drawCrumbs();
  loadSummary();
  loadTrend();
  loadBreakdown();
  loadRanking();
  loadMap();
  loadPlace();
})();
