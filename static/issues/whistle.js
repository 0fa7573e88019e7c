// The filing page: the resident drops a pin (tap, drag, or "use my location"); the page says which
// grid it falls in, blocks submitting outside the district, and lists open issues of the same
// category nearby so the resident can add their voice (我也遇到了) instead of filing again.
// The server checks everything again: this script only saves the resident a wasted submit.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("whistle-config").textContent);
  var text = config.messages;
  var form = document.getElementById("whistle-form");
  var latInput = form.elements.lat;
  var lngInput = form.elements.lng;
  var category = form.elements.category;
  var photos = form.elements.photos;
  var place = document.getElementById("whistle-place");
  var nearby = document.getElementById("nearby");
  var submit = document.getElementById("whistle-submit");
  var photoCount = document.getElementById("photo-count");
  var outside = false;
  var locateRequest = 0; // only the answer to the latest pin position counts
  var nearbyRequest = 0;

  // Where points cross between the map and the form or the server: the form, the API and the browser's
  // geolocation are WGS-84; the map is drawn in its base map's system (GCJ-02 on Amap).
  var coords = JianhuaCoords.forMap(config.coordSys);
  var toDisplay = coords.toDisplay;
  var toStored = coords.toStored;

  var map = L.map("whistle-map", { center: toDisplay(L.latLng(config.center)), zoom: config.zoom, zoomSnap: 0.25, preferCanvas: true });
  window.whistleMap = map; // for the browser tests and for debugging in the console
  JianhuaCoords.addTiles(map, config.tileLayers);

  // Faint grid outlines: the resident sees the grids even without a base map.
  var layersByCode = {};
  var highlighted = null;
  var gridStyle = { color: "#b71c1c", weight: 0.6, opacity: 0.5, fillOpacity: 0.03 };
  var grids = L.geoJSON(null, {
    style: function () { return gridStyle; },
    coordsToLatLng: coords.coordsToLatLng,
    interactive: false,
    onEachFeature: function (feature, layer) { layersByCode[feature.properties.code] = layer; },
  }).addTo(map);

  // The grid of a poster's QR link: outlined and in view. Without a pin the whistle is filed in it.
  var linkedGrid = null;
  if (config.linkedGrid) {
    linkedGrid = L.geoJSON(config.linkedGrid.boundary, {
      style: { color: "#b71c1c", weight: 3, opacity: 1, fillOpacity: 0.12 },
      coordsToLatLng: coords.coordsToLatLng,
      interactive: false,
    }).addTo(map);
    map.fitBounds(linkedGrid.getBounds(), { padding: [16, 16], maxZoom: 17, animate: false });
    document.body.dataset.linkedGrid = config.linkedGrid.code;
  }

  function highlight(code) {
    if (highlighted) highlighted.setStyle(gridStyle);
    highlighted = layersByCode[code] || null;
    if (highlighted) highlighted.setStyle({ weight: 2.5, opacity: 1, fillOpacity: 0.18 });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function say(message, className) {
    place.replaceChildren(element("p", className || "", message));
  }

  function blockSubmit(blocked) {
    outside = blocked;
    submit.disabled = blocked;
  }

  // The pin -------------------------------------------------------------------------------------
  var marker = null;

  function placePin(latlng) { // latlng as drawn on the map
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", function () { pinMoved(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    pinMoved(latlng);
  }

  function pinMoved(latlng) {
    var stored = toStored(latlng);
    latInput.value = stored.lat.toFixed(6);
    lngInput.value = stored.lng.toFixed(6);
    locate();
    findNearby();
  }

  function locate() {
    var ticket = ++locateRequest;
    say(text.locating, "muted");
    fetch(config.locateUrl + "?lat=" + latInput.value + "&lng=" + lngInput.value, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (ticket !== locateRequest) return;
        if (response.status === 404) {
          highlight(null);
          blockSubmit(true);
          say(text.outside, "outside");
          return;
        }
        if (!response.ok) throw new Error(response.status);
        return response.json().then(function (found) {
          if (ticket !== locateRequest) return;
          blockSubmit(false);
          highlight(found.grid.code);
          var list = element("dl", "place-facts");
          [[text.grid, found.grid.name, "grid-name"], [text.community, found.community.name],
           [text.street, found.street.name]].forEach(function (row) {
            list.append(element("dt", "", row[0]), element("dd", row[2] || "", row[1]));
          });
          place.replaceChildren(list);
          document.body.dataset.located = found.grid.code;
        });
      })
      .catch(function () {
        if (ticket !== locateRequest) return;
        blockSubmit(false); // the lookup failed, not the place: let the server decide
        say(text.failed, "error");
      });
  }

  map.on("click", function (event) { placePin(event.latlng); });

  var locationButton = document.getElementById("my-location");
  if (navigator.geolocation) {
    locationButton.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        var latlng = toDisplay(L.latLng(position.coords.latitude, position.coords.longitude));
        map.setView(latlng, 17);
        placePin(latlng);
      }, function () { say(text.noLocation, "error"); }, { enableHighAccuracy: true, timeout: 10000 });
    });
  } else {
    locationButton.hidden = true;
  }

  // Open issues nearby ----------------------------------------------------------------------------
  function findNearby() {
    var ticket = ++nearbyRequest;
    if (!category.value || !latInput.value || outside) { nearby.hidden = true; return; }
    var query = "?category=" + encodeURIComponent(category.value) + "&lat=" + latInput.value + "&lng=" + lngInput.value;
    fetch(config.nearbyUrl + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { issues: [] }; })
      .then(function (answer) { if (ticket === nearbyRequest) showNearby(answer.issues); })
      .catch(function () { nearby.hidden = true; });
  }

  function showNearby(issues) {
    nearby.replaceChildren();
    nearby.hidden = issues.length === 0;
    if (!issues.length) return;
    nearby.append(element("p", "nearby-title", text.nearbyTitle));
    var list = element("ul", "nearby-list");
    issues.forEach(function (issue) {
      var item = element("li", "nearby-issue");
      item.dataset.number = issue.number;
      item.append(element("strong", "", issue.title));
      item.append(element("span", "small-print muted", [
        issue.number, issue.status, text.metres.replace("%(metres)s", issue.distance),
        text.supporters.replace("%(count)s", issue.supporters),
      ].join(" · ")));
      if (issue.yours) {
        var link = element("a", "button secondary small", text.yours);
        link.href = config.issueUrl.replace("NUMBER", issue.number);
        item.append(link);
      } else if (config.canSupport) {
        var button = element("button", "secondary small me-too", text.meToo);
        button.type = "button";
        button.addEventListener("click", function () { support(issue.number); });
        item.append(button);
      }
      list.append(item);
    });
    nearby.append(list);
  }

  // "Me too" posts a small form of its own (forms cannot nest), with the page's CSRF token.
  function support(number) {
    var post = document.createElement("form");
    post.method = "post";
    post.action = config.supportUrl.replace("NUMBER", encodeURIComponent(number));
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = form.elements.csrfmiddlewaretoken.value;
    post.append(token);
    document.body.append(post);
    post.submit();
  }

  category.addEventListener("change", findNearby);

  // Photos and submitting -------------------------------------------------------------------------
  function checkPhotos() {
    var count = photos.files ? photos.files.length : 0;
    var tooMany = count > config.maxPhotos;
    photos.setCustomValidity(tooMany ? text.tooManyPhotos : "");
    photoCount.textContent = tooMany ? text.tooManyPhotos : (count ? text.photosChosen.replace("%(count)s", count) : "");
    photoCount.classList.toggle("error", tooMany);
  }
  photos.addEventListener("change", checkPhotos);

  var submitLabel = submit.textContent;
  // Coming back to the page from the browser's history must not leave the button disabled.
  window.addEventListener("pageshow", function () {
    submit.disabled = outside;
    submit.textContent = submitLabel;
  });

  form.addEventListener("submit", function (event) {
    if (!latInput.value && !linkedGrid) {
      event.preventDefault();
      say(text.tapMap, "error");
      document.getElementById("whistle-map").scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    if (outside) { event.preventDefault(); return; }
    if (phone) {
      // A visitor: confirm the number first (signs the session in), then send this same form.
      event.preventDefault();
      phone.confirmThenSend();
      return;
    }
    // The idempotency key makes a second submit harmless; this only spares the resident the wait.
    sending();
  });

  function sending() {
    submit.disabled = true;
    submit.textContent = text.sending;
  }

  // A visitor's phone, confirmed on this page -----------------------------------------------------
  // Nothing leaves the page but the number and the code: the whistle (text, pin, photos) stays in the
  // form until the session is signed in, then the form is sent as a signed-in resident's would be.
  var phone = config.phoneConfirm ? phoneConfirm(config.phoneConfirm) : null;

  function phoneConfirm(urls) {
    var number = document.getElementById("id_phone");
    var code = document.getElementById("id_code");
    var consent = document.getElementById("id_consent");
    var sendCode = document.getElementById("send-code");
    var status = document.getElementById("phone-status");
    var sendLabel = sendCode.textContent;
    var countdown = null;

    function tell(message, kind) {
      status.textContent = message;
      status.classList.toggle("error", kind === "error");
    }
    function field(name) {
      return { phone: number, code: code, consent: consent }[name] || number;
    }
    function post(url, body) {
      return fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, status: response.status, answer: answer,
                   retryAfter: parseInt(response.headers.get("Retry-After") || "0", 10) };
        });
      });
    }
    function wait(seconds) {
      clearInterval(countdown);
      var left = seconds;
      sendCode.disabled = true;
      function tick() {
        if (left <= 0) { clearInterval(countdown); sendCode.disabled = false; sendCode.textContent = sendLabel; return; }
        sendCode.textContent = text.resendIn.replace("%(seconds)s", left);
        left -= 1;
      }
      tick();
      countdown = setInterval(tick, 1000);
    }
    function consentGiven() {
      if (consent.checked) return true;
      tell(text.needConsent, "error");
      consent.focus();
      return false;
    }
    function body(extra) {
      var data = { phone: number.value, consent: consent.checked, notice_version: urls.noticeVersion };
      Object.keys(extra || {}).forEach(function (key) { data[key] = extra[key]; });
      return data;
    }
    function refused(result) {
      tell(result.answer.error || text.network, "error");
      if (result.retryAfter) wait(result.retryAfter);
      field(result.answer.field).focus();
    }

    sendCode.addEventListener("click", function () {
      if (!number.value.trim()) { tell(text.needPhone, "error"); number.focus(); return; }
      if (!consentGiven()) return;
      sendCode.disabled = true;
      post(urls.codeUrl, body()).then(function (result) {
        if (!result.ok) { sendCode.disabled = false; refused(result); return; }
        tell(text.codeSent.replace("%(phone)s", result.answer.phone));
        wait(result.answer.resend_after);
        code.focus();
      }).catch(function () { sendCode.disabled = false; tell(text.network, "error"); });
    });

    return {
      confirmThenSend: function () {
        if (!/^\d{6}$/.test(code.value.trim())) {
          tell(code.value ? text.needCode : text.needPhone, "error");
          (code.value ? code : number).focus();
          return;
        }
        if (!consentGiven()) return;
        submit.disabled = true;
        tell(text.confirming);
        post(urls.verifyUrl, body({ code: code.value.trim() })).then(function (result) {
          if (!result.ok) { submit.disabled = false; refused(result); return; }
          // Signing in gave the session a new CSRF token: the form must carry it.
          form.elements.csrfmiddlewaretoken.value = result.answer.csrfToken;
          phone = null;
          sending();
          form.submit();
        }).catch(function () { submit.disabled = false; tell(text.network, "error"); });
      },
    };
  }

  // The grids, then the view: a pin kept from a form shown again wins over the whole district.
  fetch(config.geojsonUrl)
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      grids.addData(collection);
      if (latInput.value && lngInput.value) {
        var kept = toDisplay(L.latLng(parseFloat(latInput.value), parseFloat(lngInput.value)));
        map.setView(kept, 16, { animate: false });
        placePin(kept);
      } else if (collection.features.length && !linkedGrid) {
        // No animation: a tap during a zoom animation would land where the animation ends, not where it was aimed.
        map.fitBounds(grids.getBounds(), { animate: false });
      }
      document.body.dataset.gridsLoaded = String(collection.features.length);
    })
    .catch(function () {
      if (latInput.value && lngInput.value) placePin(toDisplay(L.latLng(parseFloat(latInput.value), parseFloat(lngInput.value))));
      document.body.dataset.gridsLoaded = "0";
    });
})();
