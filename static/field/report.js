// The patrol report: the position from the phone (or a pin on the map of the officer's grid), photos, the
// category and a short text, filed as a whistle on the grid_patrol channel; "fixed on the spot" files and
// resolves it in one step with the result and photos after (POST /api/v1/issues/fixed-on-spot/).
// The form stores WGS-84 (coord_sys wgs84); the map draws in its base map's system (GCJ-02 on Amap).
(function () {
  "use strict";
  var app = window.FieldApp;
  var config = app.config;
  var text = app.text;
  var form = document.getElementById("report-form");
  var lat = form.elements.lat, lng = form.elements.lng;
  var position = document.getElementById("report-position");
  var fixed = document.getElementById("fixed-on-spot");
  var fixedPart = document.getElementById("fixed-part");
  var coords = JianhuaCoords.forMap(config.coordSys);

  var map = L.map("report-map", { center: coords.toDisplay(L.latLng(config.center)), zoom: 16, zoomSnap: 0.25 });
  window.reportMap = map; // for the browser tests
  JianhuaCoords.addTiles(map, config.tileLayers);
  // The officer's grid is in the page: drawn even with no network and no base map.
  var grid = L.geoJSON(config.grid.boundary, {
    style: { color: "#b71c1c", weight: 2, opacity: 0.9, fillOpacity: 0.06 },
    coordsToLatLng: coords.coordsToLatLng, interactive: false,
  }).addTo(map);
  map.fitBounds(grid.getBounds(), { padding: [12, 12], animate: false });

  // Is a stored (WGS-84) point inside the officer's grid? Ray casting over the GeoJSON rings (holes count
  // as outside). Only a warning: the server decides (a problem fixed on the spot must be in one's grid).
  function insideGrid(point) {
    var geometry = config.grid.boundary.geometry || config.grid.boundary;
    var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
    function inRing(ring) {
      var inside = false;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > point.lat) !== (yj > point.lat) && point.lng < (xj - xi) * (point.lat - yi) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }
    return polygons.some(function (rings) {
      return inRing(rings[0]) && !rings.slice(1).some(inRing);
    });
  }

  var marker = null;
  function pin(latlng, words) { // latlng as drawn on the map
    if (!marker) {
      marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.on("dragend", function () { pin(marker.getLatLng(), text.pinned); });
    } else {
      marker.setLatLng(latlng);
    }
    var stored = coords.toStored(latlng);
    lat.value = stored.lat.toFixed(6);
    lng.value = stored.lng.toFixed(6);
    var inside = insideGrid(stored);
    position.textContent = inside ? words : words + " · " + text.outsideGrid;
    position.dataset.inside = inside ? "1" : "0";
    form.dataset.located = "1";
  }

  map.on("click", function (event) { pin(event.latlng, text.pinned); });

  function locate(fresh) { // the button asks for a fresh position; the page's opening takes a recent one
    if (!navigator.geolocation) { position.textContent = text.noPosition; return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      // The browser's position is WGS-84.
      var drawn = coords.toDisplay(L.latLng(found.coords.latitude, found.coords.longitude));
      pin(drawn, text.positionFrom.replace("%(metres)s", Math.round(found.coords.accuracy || 0)));
      map.setView(drawn, Math.max(map.getZoom(), 17), { animate: false });
    }, function () { position.textContent = text.noPosition; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: fresh ? 0 : 30000 });
  }
  document.getElementById("my-position").addEventListener("click", function () { locate(true); });
  // A refused report opened to change it keeps its own pin (filled below); a new one starts where the phone is.
  if (!new URLSearchParams(location.search).get("outbox")) locate(false);

  function showFixed() {
    fixedPart.hidden = !fixed.checked;
    if (!fixed.checked) document.getElementById("report-after").value = ""; // no photos after a problem left
  }
  fixed.addEventListener("change", showFixed);
  showFixed();

  function value(fields, name) {
    var pair = fields.filter(function (field) { return field[0] === name; })[0];
    return pair ? pair[1] : "";
  }

  app.bindForm(form, {
    kind: "report",
    url: function (fields) { return value(fields, "fixed_on_spot") ? config.fixedUrl : config.createUrl; },
    label: function (fields) {
      return (value(fields, "fixed_on_spot") ? text.fixed : text.report) + ": " + value(fields, "description").slice(0, 40);
    },
    prepare: function (fields) {
      if (!lat.value || !lng.value) throw new Error(text.needPosition);
      var isFixed = !!value(fields, "fixed_on_spot");
      var description = value(fields, "description").trim();
      // The title is the text's start: a patrol report is a photo and a line, not an essay.
      var title = description.split(/[\n。.!！?？]/)[0].slice(0, 30) || description.slice(0, 30);
      return fields.filter(function (field) {
        // fixed_on_spot stays (the server ignores it): it chooses the address and comes back when changed.
        return field[0] !== "title" && (isFixed || field[0] !== "result");
      }).concat([["title", title]]);
    },
    filled: function () {
      showFixed();
      if (lat.value && lng.value) {
        var kept = coords.toDisplay(L.latLng(parseFloat(lat.value), parseFloat(lng.value)));
        pin(kept, text.pinned);
        map.setView(kept, Math.max(map.getZoom(), 17), { animate: false });
      }
    },
    done: showFixed, // the pin stays where it was: the next report is usually a few steps on
  });
})();
