// The public grid map: draws every grid, and on a click asks the server which grid the point is in.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var text = config.messages;
  var answer = document.getElementById("grid-answer");
  var streetColours = ["#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#117a65"];
  var streetIndex = {};

  // Stored points are WGS-84; a GCJ-02 base map (Amap) shows them converted, and a click converts back.
  var coords = JianhuaCoords.forMap(config.coordSys);
  var map = L.map("district-map", { center: coords.toDisplay(L.latLng(config.center)), zoom: config.zoom, zoomSnap: 0.25 });
  window.districtMap = map; // for the browser tests and for anyone debugging in the console
  JianhuaCoords.addTiles(map, config.tileLayers);

  function styleFor(feature) {
    var street = feature.properties.street;
    if (!(street in streetIndex)) streetIndex[street] = Object.keys(streetIndex).length;
    var colour = streetColours[streetIndex[street] % streetColours.length];
    return { color: colour, weight: 1, opacity: 0.8, fillColor: colour, fillOpacity: 0.12 };
  }

  var layersByCode = {};
  var selected = null;
  var marker = null;
  var grids = L.geoJSON(null, {
    style: styleFor,
    coordsToLatLng: coords.coordsToLatLng,
    onEachFeature: function (feature, layer) { layersByCode[feature.properties.code] = layer; },
  }).addTo(map);

  function show(rows) {
    answer.replaceChildren();
    var list = document.createElement("dl");
    rows.forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      if (row[2]) dd.className = row[2];
      list.append(dt, dd);
    });
    answer.append(list);
  }

  function say(message, className) {
    answer.replaceChildren();
    var p = document.createElement("p");
    p.textContent = message;
    if (className) p.className = className;
    answer.append(p);
  }

  function select(code) {
    if (selected) grids.resetStyle(selected);
    selected = layersByCode[code] || null;
    if (selected) {
      selected.setStyle({ weight: 3, fillOpacity: 0.45 });
      selected.bringToFront();
    }
  }

  map.on("click", function (event) {
    var stored = coords.toStored(event.latlng);
    var lat = stored.lat.toFixed(6);
    var lng = stored.lng.toFixed(6);
    if (marker) marker.remove();
    marker = L.circleMarker(event.latlng, { radius: 6, color: "#000", weight: 2, fillOpacity: 1 }).addTo(map);
    fetch(config.locateUrl + "?lat=" + lat + "&lng=" + lng, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) { select(null); say(text.outside, "outside"); return; }
        if (!response.ok) throw new Error(response.status);
        return response.json().then(function (found) {
          select(found.grid.code);
          show([
            [text.grid, found.grid.name, "grid-name"],
            [text.community, found.community.name],
            [text.street, found.street.name],
            [text.code, found.grid.code],
          ]);
        });
      })
      .catch(function () { say(text.failed, "error"); });
  });

  fetch(config.geojsonUrl)
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      grids.addData(collection);
      if (collection.features.length) map.fitBounds(grids.getBounds());
      document.getElementById("grid-count").textContent =
        text.gridCount.replace("%(count)s", collection.features.length.toLocaleString());
      say(text.clickHint);
      document.body.dataset.gridsLoaded = String(collection.features.length);
    })
    .catch(function () { say(text.failed, "error"); });
})();
