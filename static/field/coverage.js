// The community's patrol coverage: its grids on a map, green where a patrol track passed on the day
// chosen (from /api/v1/field/coverage/), grey elsewhere. The page's table holds the same answer.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("coverage-config").textContent);
  var text = config.messages;
  var coords = JianhuaCoords.forMap(config.coordSys); // grids are WGS-84; an Amap base map is GCJ-02
  var map = L.map("coverage-map", { center: coords.toDisplay(L.latLng(config.center)), zoom: config.zoom, zoomSnap: 0.25 });
  window.coverageMap = map; // for the browser tests and anyone debugging in the console
  JianhuaCoords.addTiles(map, config.tileLayers);

  function json(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + " " + response.status);
      return response.json();
    });
  }

  Promise.all([json(config.geojsonUrl), json(config.coverageUrl + "?day=" + encodeURIComponent(config.day))])
    .then(function (answers) {
      var byCode = {};
      answers[1].grids.forEach(function (grid) { byCode[grid.code] = grid; });
      var features = answers[0].features.filter(function (f) { return f.properties.code in byCode; });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        coordsToLatLng: coords.coordsToLatLng,
        style: function (feature) {
          var walked = byCode[feature.properties.code].walked;
          return { color: "#555", weight: 1, opacity: 0.9, fillColor: walked ? "#31a354" : "#d0d0d0", fillOpacity: 0.7 };
        },
        onEachFeature: function (feature, layer) {
          var grid = byCode[feature.properties.code];
          layer.bindTooltip(grid.name + ": " + (grid.walked ? text.walked + " · " + grid.officers + " " + text.officers
                                                            : text.notWalked), { sticky: true });
        },
      }).addTo(map);
      if (features.length) map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
      document.body.dataset.coverageDrawn = String(features.length);
    })
    .catch(function (error) {
      var summary = document.getElementById("coverage-summary");
      summary.textContent = text.failed;
      summary.classList.add("error");
      if (window.console) console.error(error);
    });
})();
