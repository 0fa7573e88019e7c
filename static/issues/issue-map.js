// The issue page's small map: the pin and the outline of the grid it lies in.
(function () {
  "use strict";
  var holder = document.getElementById("issue-map");
  var config = JSON.parse(document.getElementById("issue-map-config").textContent);
  var map = L.map(holder, { scrollWheelZoom: false, zoomSnap: 0.25 });
  window.issueMap = map;
  JianhuaCoords.addTiles(map, config.tileLayers);
  // The stored point and outline are WGS-84: drawn converted on a GCJ-02 base map (Amap).
  var coords = JianhuaCoords.forMap(config.coordSys);
  var pin = coords.toDisplay(L.latLng(config.lat, config.lng));
  L.marker(pin, { keyboard: false }).addTo(map);
  if (config.grid) {
    var grid = L.geoJSON(config.grid, {
      style: { color: "#b71c1c", weight: 2, fillOpacity: 0.08 },
      coordsToLatLng: coords.coordsToLatLng,
      interactive: false,
    }).addTo(map);
    map.fitBounds(grid.getBounds(), { padding: [12, 12], maxZoom: 17 });
  } else {
    map.setView(pin, 16);
  }
})();
