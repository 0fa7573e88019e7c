// On the admin's boundary editor, draw every other grid faintly behind the one being edited, so
// whoever moves an edge sees the neighbours it must meet (the save refuses overlaps anyway).
(function () {
  "use strict";
  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var field = document.querySelector(".field-code .readonly");
    var ownCode = field ? field.textContent.trim() : null;
    map.createPane("neighbours");
    map.getPane("neighbours").style.zIndex = 350; // above tiles, below the edited shape
    map.getPane("neighbours").style.pointerEvents = "none";
    fetch("/api/v1/grids/geojson/")
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        L.geoJSON(collection, {
          pane: "neighbours",
          interactive: false,
          filter: function (feature) { return feature.properties.code !== ownCode; },
          style: { color: "#666", weight: 1, dashArray: "3", fillOpacity: 0.04 },
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(feature.properties.name, { permanent: false });
          },
        }).addTo(map);
        document.body.dataset.neighboursDrawn = "true";
      });
  });
})();
