// A patrol: while the page is open the phone's position is sampled (watchPosition) and sent in batches
// through the outbox ({patrol, coord_sys: "wgs84", points: [{lat, lng, at, accuracy}]}); the server keeps
// each point once per (track, moment), so a batch sent twice changes nothing. One track per opening.
(function () {
  "use strict";
  var app = window.FieldApp;
  var config = app.config;
  var text = app.text;
  var section = document.getElementById("patrol");
  var count = document.getElementById("patrol-count");
  var distance = document.getElementById("patrol-distance");
  var patrol = FieldOutbox.newKey();
  var pending = [];
  var recorded = 0;
  var metres = 0;
  var last = null;
  var watch = null;

  function between(a, b) { // metres, equirectangular: plenty for steps of a walk
    var rad = Math.PI / 180;
    var x = (b.lng - a.lng) * rad * Math.cos((a.lat + b.lat) / 2 * rad);
    var y = (b.lat - a.lat) * rad;
    return Math.sqrt(x * x + y * y) * 6371000;
  }

  function flush() {
    if (!pending.length) return Promise.resolve();
    var points = pending;
    pending = [];
    return FieldOutbox.add({
      kind: "patrol", url: config.pointsUrl, label: text.patrol + " (" + points.length + ")", page: "",
      json: { patrol: patrol, coord_sys: "wgs84", points: points },
    }).then(function () { return FieldOutbox.sync(); });
  }

  function show() {
    section.dataset.points = String(recorded);
    count.textContent = text.patrolPoints.replace("%(count)s", recorded);
    distance.textContent = Math.round(metres) + " m";
  }

  function sampled(found) {
    var point = { lat: Number(found.coords.latitude.toFixed(6)), lng: Number(found.coords.longitude.toFixed(6)),
                  at: new Date(found.timestamp || Date.now()).toISOString(),
                  accuracy: Math.round(found.coords.accuracy || 0) };
    if (last) metres += between(last, point);
    last = point;
    pending.push(point);
    recorded += 1;
    section.dataset.state = "recording";
    show();
    if (pending.length >= config.batchPoints) flush();
  }

  function stop() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    section.dataset.state = "ended";
    return flush();
  }

  if (!navigator.geolocation) {
    count.textContent = text.patrolNoGps;
    section.dataset.state = "unavailable";
  } else {
    watch = navigator.geolocation.watchPosition(sampled, function () {
      count.textContent = text.noPosition;
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    setInterval(flush, config.batchSeconds * 1000);
    document.getElementById("patrol-stop").addEventListener("click", function () {
      stop().then(function () { location.href = config.todayUrl; });
    });
    // Leaving the page ends the patrol: what was sampled is queued, not lost.
    window.addEventListener("pagehide", function () { if (pending.length) flush(); });
  }
  show();
})();
