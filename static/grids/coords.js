// WGS-84 <-> GCJ-02 in the browser: the same algorithm and exact inverse as grids/coords.py (read its
// docstring for why). The server stores WGS-84; a page whose base map is GCJ-02 (Amap) draws stored
// points through toDisplay and sends what the user tapped through toStored. Arguments are (lat, lng).
(function (root) {
  "use strict";
  var A = 6378245.0; // Krasovsky 1940
  var EE = 0.00669342162296594323;
  var EXACT_DEGREES = 1e-9;
  var MAX_ITERATIONS = 30;
  var PI = Math.PI;

  function outsideChina(lat, lng) {
    return !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function seriesLat(x, y) {
    var value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    value += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    value += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    value += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return value;
  }

  function seriesLng(x, y) {
    var value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    value += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    value += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    value += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return value;
  }

  function wgs84ToGcj02(lat, lng) {
    if (outsideChina(lat, lng)) return [lat, lng];
    var x = lng - 105.0, y = lat - 35.0;
    var radLat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.pow(Math.sin(radLat), 2);
    var sqrtMagic = Math.sqrt(magic);
    var dLat = seriesLat(x, y) * 180.0 / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    var dLng = seriesLng(x, y) * 180.0 / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lat + dLat, lng + dLng];
  }

  function gcj02ToWgs84(lat, lng) {
    if (outsideChina(lat, lng)) return [lat, lng];
    var wgsLat = lat, wgsLng = lng;
    for (var step = 0; step < MAX_ITERATIONS; step++) {
      var gcj = wgs84ToGcj02(wgsLat, wgsLng);
      var missLat = lat - gcj[0], missLng = lng - gcj[1];
      wgsLat += missLat;
      wgsLng += missLng;
      if (Math.abs(missLat) < EXACT_DEGREES && Math.abs(missLng) < EXACT_DEGREES) break;
    }
    return [wgsLat, wgsLng];
  }

  // For a page's map: a converter pair for its base map's coordinate system ("wgs84" or "gcj02"),
  // working on Leaflet LatLngs (anything with lat and lng; the result is a new L.latLng).
  function forMap(coordSys) {
    var gcj = coordSys === "gcj02";
    return {
      coordSys: gcj ? "gcj02" : "wgs84",
      toDisplay: function (latlng) {
        return gcj ? L.latLng(wgs84ToGcj02(latlng.lat, latlng.lng)) : L.latLng(latlng.lat, latlng.lng);
      },
      toStored: function (latlng) {
        return gcj ? L.latLng(gcj02ToWgs84(latlng.lat, latlng.lng)) : L.latLng(latlng.lat, latlng.lng);
      },
      // For L.geoJSON's coordsToLatLng: GeoJSON positions are [lng, lat] in WGS-84.
      coordsToLatLng: function (coords) {
        return gcj ? L.latLng(wgs84ToGcj02(coords[1], coords[0])) : L.latLng(coords[1], coords[0]);
      },
    };
  }

  // Every page's base map (config.tileLayers from grids.views.base_map_config) on a Leaflet map.
  function addTiles(map, layers) {
    (layers || []).forEach(function (layer) {
      L.tileLayer(layer.url, layer.options).addTo(map);
    });
  }

  root.JianhuaCoords = {
    outsideChina: outsideChina,
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    forMap: forMap,
    addTiles: addTiles,
  };
})(window);
