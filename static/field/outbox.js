// The outbox: everything the officer sends (patrol reports, visits, check answers, reporting for duty,
// results, patrol batches) is first written to the phone's IndexedDB with its photos (Blobs) and an
// Idempotency-Key made when it is created, then sent when there is a network: on load, when the phone
// comes online, and on demand. The server answers a repeat of a key with what the first send made, so an
// item sent twice (a lost answer, two tabs) is filed once.
// - 2xx: done (kept a day to show what it became);
// - 400/403/404/409/422 (config.refusedStatuses): refused, with the server's reason; everything typed stays
//   and can be changed and sent again;
// - no network, 5xx, anything else: stays queued and is tried again.
(function (root) {
  "use strict";
  var DB_NAME = "jianhua-field";
  var STORE = "outbox";
  var DONE_KEPT_MS = 24 * 3600 * 1000;
  var refusedStatuses = [400, 403, 404, 409, 422];
  // What jianhua.api.exception_handler answers a request whose sign-in is missing or ran out.
  var SIGNED_OUT_CODES = ["not_authenticated", "authentication_failed"];
  var signedOut = false;
  var owner = null; // the signed-in account: a phone shared by two officers sends each one's items as theirs
  var database = null;

  function open() {
    if (database) return database;
    database = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        store.createIndex("state", "state");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return database;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result;
        var request = work(transaction.objectStore(STORE));
        if (request) request.onsuccess = function () { result = request.result; };
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.owner === owner; })
        .sort(function (a, b) { return a.id - b.id; });
    });
  }

  function get(id) {
    return run("readonly", function (store) { return store.get(Number(id)); }).then(function (item) {
      return item && item.owner === owner ? item : undefined;
    });
  }
  function put(item) { return run("readwrite", function (store) { return store.put(item); }); }
  function remove(id) { return run("readwrite", function (store) { return store.delete(Number(id)); }).then(changed); }

  function newKey() {
    if (root.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function changed() {
    root.dispatchEvent(new CustomEvent("outbox-changed"));
  }

  // item: {kind, url, label, page (where it is changed), fields: [[name, value], …], files: [{name, blob,
  // filename}], json (instead of fields and files)}. Resolves with the stored item (its id and key set).
  function add(item) {
    var stored = Object.assign({ fields: [], files: [], json: null }, item, {
      key: newKey(), owner: owner, state: "queued", reason: "", created: Date.now(), attempts: 0, result: null,
    });
    return put(stored).then(function (id) { stored.id = id; changed(); return stored; });
  }

  // The officer changed a refused (or still queued) item: same key, queued again.
  function replace(id, changes) {
    return get(id).then(function (item) {
      if (!item) return add(changes);
      Object.assign(item, changes, { state: "queued", reason: "" });
      return put(item).then(function () { changed(); return item; });
    });
  }

  function requeue(id) {
    return get(id).then(function (item) {
      if (!item || item.state === "done") return;
      item.state = "queued";
      item.reason = "";
      return put(item).then(changed);
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function request(item) {
    var headers = { Accept: "application/json", "Idempotency-Key": item.key, "X-CSRFToken": csrfToken() };
    var body;
    if (item.json) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(item.json);
    } else {
      body = new FormData();
      item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
      item.files.forEach(function (file) { body.append(file.name, file.blob, file.filename); });
    }
    return fetch(item.url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }

  // The server's reason, as the officer should read it: {"detail": …} from a service's refusal, or DRF's
  // field errors {"field": ["…"]}.
  function reasonOf(answer, status) {
    if (!answer || typeof answer !== "object") return "HTTP " + status;
    if (answer.detail) return String(answer.detail);
    var parts = [];
    Object.keys(answer).forEach(function (field) {
      var value = answer[field];
      parts.push(field + ": " + (Array.isArray(value) ? value.join(" ") : typeof value === "object" ? JSON.stringify(value) : value));
    });
    return parts.join("; ") || "HTTP " + status;
  }

  function sendOne(item) {
    item.attempts += 1;
    return request(item).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        if (response.ok) {
          item.state = "done";
          item.result = answer;
          item.sent = Date.now();
          item.files = []; // the server has the photos now: free the phone's storage
        } else if (answer && SIGNED_OUT_CODES.indexOf(answer.code) >= 0) {
          // The sign-in ran out (say, while the phone was offline for days): not a refusal. It stays queued
          // until the officer signs in again; the rest waits too.
          item.lastError = "signed_out";
          signedOut = true;
          return put(item).then(function () { throw new Error("signed out"); });
        } else if (refusedStatuses.indexOf(response.status) >= 0) {
          item.state = "refused";
          item.status = response.status;
          item.reason = reasonOf(answer, response.status);
        } else {
          item.lastError = "HTTP " + response.status; // the server's trouble: try again later
        }
        return put(item);
      });
    }, function () {
      item.lastError = "network";
      return put(item).then(function () { throw new Error("offline"); });
    });
  }

  var running = null;
  var again = false;

  // Sends every queued item in the order it was made (reporting for duty before the result), one at a time;
  // stops at the first network failure. Calls made while a sync runs are folded into one more round.
  function sync() {
    if (running) { again = true; return running; }
    signedOut = false;
    running = all().then(function (items) {
      var queued = items.filter(function (item) { return item.state === "queued"; });
      return queued.reduce(function (chain, item) {
        return chain.then(function () { return sendOne(item).then(changed); });
      }, Promise.resolve());
    }).catch(function () { /* offline: everything stays queued */ }).then(function () {
      running = null;
      changed();
      if (again) { again = false; return sync(); }
    });
    return running;
  }

  function purgeDone() {
    return all().then(function (items) {
      var old = items.filter(function (item) { return item.state === "done" && Date.now() - (item.sent || 0) > DONE_KEPT_MS; });
      return Promise.all(old.map(function (item) { return run("readwrite", function (store) { return store.delete(item.id); }); }));
    });
  }

  root.FieldOutbox = {
    configure: function (options) {
      if (options.refusedStatuses) refusedStatuses = options.refusedStatuses;
      if (options.owner !== undefined) owner = options.owner;
    },
    add: add, replace: replace, requeue: requeue, remove: remove, get: get, all: all, sync: sync,
    purgeDone: purgeDone, newKey: newKey,
    isSignedOut: function () { return signedOut; },
  };
})(window);
