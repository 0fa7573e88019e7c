// Every field page: registers the service worker, shows the network and the outbox ("待同步", refused with
// the reason, synced), syncs on load, when the phone comes online and on demand, keeps the pages Today links
// to and the map tiles of the officer's grid for offline use, and gives the page scripts FieldApp.bindForm:
// a form whose submit is queued in the outbox (with its photos shrunk) instead of sent.
(function (root) {
  "use strict";
  var config = JSON.parse(document.getElementById("field-config").textContent);
  var text = config.messages;
  var outbox = root.FieldOutbox;
  outbox.configure({ refusedStatuses: config.refusedStatuses, owner: config.owner });
  var body = document.body;
  var list = document.getElementById("outbox");
  var section = document.getElementById("outbox-section");
  var syncButton = document.getElementById("sync-now");
  var counter = document.getElementById("outbox-count");
  var network = document.getElementById("network");

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  // The network ---------------------------------------------------------------------------------------
  function showNetwork() {
    var online = navigator.onLine;
    network.dataset.online = online ? "1" : "0";
    network.textContent = online ? "" : text.offline;
  }
  root.addEventListener("online", function () { showNetwork(); outbox.sync(); });
  root.addEventListener("offline", showNetwork);
  showNetwork();

  // The outbox's list -----------------------------------------------------------------------------------
  function stateLabel(item) {
    return { queued: text.queued, done: text.done, refused: text.refused }[item.state] || item.state;
  }

  function render() {
    return outbox.all().then(function (items) {
      var pending = items.filter(function (item) { return item.state === "queued"; }).length;
      var refused = items.filter(function (item) { return item.state === "refused"; }).length;
      counter.textContent = String(pending);
      syncButton.dataset.pending = String(pending);
      body.dataset.outboxPending = String(pending);
      body.dataset.outboxRefused = String(refused);
      body.dataset.outboxDone = String(items.length - pending - refused);
      section.hidden = items.length === 0;
      document.getElementById("signed-out").hidden = !outbox.isSignedOut();
      list.replaceChildren.apply(list, items.slice().reverse().map(row));
    });
  }

  function row(item) {
    var li = element("li", "outbox-item");
    li.dataset.state = item.state;
    li.dataset.kind = item.kind;
    li.dataset.key = item.key;
    li.append(element("span", "outbox-state", stateLabel(item)), element("span", "outbox-label", item.label));
    if (item.state === "done" && item.result) {
      // A whistle's tracking number, or those of the whistles a visit's concerns became.
      var numbers = item.result.number ? [item.result.number] : (item.result.issues || []);
      if (numbers.length) li.append(element("span", "outbox-result", text.filedAs.replace("%(number)s", numbers.join(", "))));
    }
    if (item.state === "refused") {
      li.append(element("p", "outbox-reason", item.reason));
      if (item.page) {
        var edit = element("a", "button secondary small outbox-edit", text.edit);
        edit.href = item.page + (item.page.indexOf("?") >= 0 ? "&" : "?") + "outbox=" + item.id;
        li.append(edit);
      }
      var resend = element("button", "secondary small outbox-resend", text.resend);
      resend.type = "button";
      resend.addEventListener("click", function () { outbox.requeue(item.id).then(outbox.sync); });
      var discard = element("button", "secondary small outbox-discard", text.discard);
      discard.type = "button";
      discard.addEventListener("click", function () { if (root.confirm(text.discardConfirm)) outbox.remove(item.id); });
      li.append(resend, discard);
    }
    return li;
  }

  root.addEventListener("outbox-changed", render);
  syncButton.addEventListener("click", function () { outbox.sync(); });

  // The service worker, the pages and the tiles kept offline ----------------------------------------------
  function tileUrlsOfGrid() {
    var bounds = config.gridBounds;
    if (!bounds || !config.tileLayers || !config.tileLayers.length) return [];
    var corners = [bounds[0], bounds[1]];
    if (config.coordSys === "gcj02" && root.JianhuaCoords) {
      corners = corners.map(function (corner) { return JianhuaCoords.wgs84ToGcj02(corner[0], corner[1]); });
    }
    function tileX(lng, zoom) { return Math.floor((lng + 180) / 360 * Math.pow(2, zoom)); }
    function tileY(lat, zoom) {
      var rad = lat * Math.PI / 180;
      return Math.floor((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * Math.pow(2, zoom));
    }
    var urls = [];
    config.tileLayers.forEach(function (layer) {
      var options = layer.options || {};
      var subdomains = options.subdomains || "abc";
      var maxZoom = Math.min(options.maxZoom || 18, 18);
      for (var zoom = 13; zoom <= maxZoom; zoom++) {
        var x0 = tileX(corners[0][1], zoom), x1 = tileX(corners[1][1], zoom);
        var y0 = tileY(corners[1][0], zoom), y1 = tileY(corners[0][0], zoom);
        for (var x = x0; x <= x1; x++) {
          for (var y = y0; y <= y1; y++) {
            var url = layer.url.replace("{s}", subdomains[(x + y) % subdomains.length]).replace("{z}", zoom)
              .replace("{x}", x).replace("{y}", y).replace("{r}", "");
            Object.keys(options).forEach(function (name) { url = url.replace("{" + name + "}", options[name]); });
            urls.push(new URL(url, location.href).href);
          }
        }
      }
    });
    return urls.slice(0, 600);
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) { body.dataset.sw = "unsupported"; return; }
    navigator.serviceWorker.register(config.swUrl, { scope: config.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var worker = registration.active;
      var keep = Array.prototype.map.call(document.querySelectorAll("a[data-prefetch]"), function (link) { return link.href; });
      if (worker && navigator.onLine) {
        if (keep.length) worker.postMessage({ type: "keep-pages", urls: keep });
        var tiles = tileUrlsOfGrid();
        if (tiles.length) worker.postMessage({ type: "cache-tiles", urls: tiles });
      }
      body.dataset.sw = navigator.serviceWorker.controller ? "ready" : "installed";
      navigator.serviceWorker.addEventListener("controllerchange", function () { body.dataset.sw = "ready"; });
    }).catch(function () { body.dataset.sw = "failed"; });
  }

  // Forms that go to the outbox ---------------------------------------------------------------------------
  // options: {kind, url (or a function of the fields), label(fields), page (where to change it), prepare(
  // fields) → fields (or throws an Error with the message to show), json (fields → the JSON body), done()}.
  function bindForm(form, options) {
    var message = form.querySelector(".form-message") || document.getElementById("form-message");
    var submit = form.querySelector("[type=submit]");
    var editing = null; // the refused item opened to change it (?outbox=<id>)

    function say(words, kind) {
      if (!message) return;
      message.textContent = words;
      message.dataset.kind = kind || "";
    }

    function photoInputs() { return Array.prototype.slice.call(form.querySelectorAll("input[type=file]")); }

    function collect() {
      var fields = [];
      Array.prototype.forEach.call(form.elements, function (input) {
        if (!input.name || input.disabled || input.type === "file" || input.type === "submit" || input.type === "button") return;
        if ((input.type === "checkbox" || input.type === "radio") && !input.checked) return;
        fields.push([input.name, input.value]);
      });
      return fields;
    }

    function shrinkAll() {
      var jobs = [];
      photoInputs().forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) {
          jobs.push(FieldPhotos.shrink(file, config.photoMaxSide).then(function (small) {
            return { name: input.name, blob: small.blob, filename: small.filename };
          }));
        });
      });
      return Promise.all(jobs);
    }

    function fill(item) {
      var values = {};
      item.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
      Array.prototype.forEach.call(form.elements, function (input) {
        if (!input.name || input.type === "file" || !(input.name in values)) return;
        if (input.type === "checkbox" || input.type === "radio") input.checked = values[input.name].indexOf(input.value) >= 0;
        else input.value = values[input.name][0];
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      var kept = {};
      item.files.forEach(function (file) { kept[file.name] = (kept[file.name] || 0) + 1; });
      photoInputs().forEach(function (input) {
        var note = form.querySelector('[data-photos-note="' + input.name + '"]');
        if (note && kept[input.name]) note.textContent = text.photosKept.replace("%(count)s", kept[input.name]);
      });
      say(item.reason, "refused");
      if (options.filled) options.filled(item);
    }

    var asked = new URLSearchParams(location.search).get("outbox");
    if (asked) {
      outbox.get(asked).then(function (item) {
        if (item && item.kind === options.kind && item.state !== "done") { editing = item; fill(item); }
      });
    }

    photoInputs().forEach(function (input) {
      input.addEventListener("change", function () {
        var tooMany = input.files.length > config.maxPhotos;
        input.setCustomValidity(tooMany ? text.tooManyPhotos : "");
        var note = form.querySelector('[data-photos-note="' + input.name + '"]');
        if (note) note.textContent = tooMany ? text.tooManyPhotos : "";
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields;
      try {
        fields = options.prepare ? options.prepare(collect()) : collect();
      } catch (refusal) {
        say(refusal.message, "error");
        return;
      }
      if (!form.checkValidity()) { form.reportValidity(); return; }
      submit.disabled = true;
      say(text.shrinking);
      shrinkAll().then(function (files) {
        // Changing a refused item without choosing new photos keeps the photos it had.
        var keptFiles = editing ? editing.files.filter(function (file) {
          return !files.some(function (chosen) { return chosen.name === file.name; });
        }) : [];
        var item = {
          kind: options.kind,
          url: typeof options.url === "function" ? options.url(fields) : options.url,
          label: options.label(fields),
          page: options.page || location.pathname,
          fields: options.json ? [] : fields,
          files: options.json ? [] : keptFiles.concat(files),
          json: options.json ? options.json(fields) : null,
        };
        return editing ? outbox.replace(editing.id, item) : outbox.add(item);
      }).then(function (stored) {
        editing = null;
        form.reset();
        photoInputs().forEach(function (input) {
          var note = form.querySelector('[data-photos-note="' + input.name + '"]');
          if (note) note.textContent = "";
        });
        if (asked) history.replaceState(null, "", location.pathname);
        say(text.saved, "saved");
        body.dataset.lastQueued = stored.key;
        if (options.done) options.done(stored);
        outbox.sync();
      }).catch(function (error) {
        say(String(error && error.message || error), "error");
      }).then(function () { submit.disabled = false; });
    });
  }

  root.FieldApp = { config: config, text: text, bindForm: bindForm, element: element };

  registerWorker();
  outbox.purgeDone().then(render).then(function () { return navigator.onLine ? outbox.sync() : null; })
    .then(function () { body.dataset.outboxReady = "1"; });
})(window);
