// The field app's service worker (served by field.views.service_worker at /field/sw.js, scope /field/).
// - install: precaches the app shell (field.shell: the pages and their static files);
// - pages: network first, the cached copy when there is no network (every page opened is kept);
// - the API reads the pages need (places, categories, checks): network first, the last answer offline;
// - static files: cache first (their names change with their content in production);
// - map tiles of the officer's grid: the page asks for them ({type: "cache-tiles", urls}); cache first.
// Writes (POST) are never touched: the page's outbox (outbox.js) queues them in IndexedDB.
"use strict";
var SHELL = {{ shell|safe }};
var SHELL_CACHE = "field-shell-" + SHELL.version;
var PAGES_CACHE = "field-pages";
var API_CACHE = "field-api";
var TILES_CACHE = "field-tiles";
var KEEP = [SHELL_CACHE, PAGES_CACHE, API_CACHE, TILES_CACHE];
var tileUrls = new Set();

function keepAnswer(cacheName, request, response) {
  // Only a real answer: not a redirect to the sign-in page, not an error.
  if (!response || !response.ok || response.redirected) return response;
  var copy = response.clone();
  caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
  return response;
}

function fetchAndKeep(cacheName, url) {
  return fetch(url, { credentials: "same-origin" }).then(function (response) {
    if (response.ok && !response.redirected) {
      return caches.open(cacheName).then(function (cache) { return cache.put(url, response); });
    }
  }).catch(function () { /* offline at install: kept on the next visit */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL.static);
  }).then(function () {
    return Promise.all(SHELL.pages.map(function (url) { return fetchAndKeep(PAGES_CACHE, url); })
      .concat(SHELL.apiReads.map(function (url) { return fetchAndKeep(API_CACHE, url); })));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return KEEP.indexOf(name) < 0; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(cacheName, request, fallbackOptions) {
  return fetch(request).then(function (response) {
    return keepAnswer(cacheName, request, response);
  }).catch(function () {
    return caches.match(request, fallbackOptions).then(function (cached) {
      if (cached) return cached;
      if (request.mode === "navigate") return caches.match(SHELL.pages[0]);
      return Response.error();
    });
  });
}

function cacheFirst(cacheName, request) {
  return caches.match(request).then(function (cached) {
    return cached || fetch(request).then(function (response) { return keepAnswer(cacheName, request, response); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (tileUrls.has(request.url)) {
    event.respondWith(cacheFirst(TILES_CACHE, request));
    return;
  }
  if (url.origin !== self.location.origin) {
    if (request.destination === "image") {
      event.respondWith(caches.match(request).then(function (cached) { return cached || fetch(request); }));
    }
    return;
  }
  if (request.mode === "navigate" && url.pathname.indexOf(SHELL.scope) === 0) {
    // A page with ?outbox=… (a refused item opened to change it) is the same page.
    event.respondWith(networkFirst(PAGES_CACHE, request, { ignoreSearch: true }));
    return;
  }
  if (SHELL.apiReads.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) {
    event.respondWith(networkFirst(API_CACHE, request));
    return;
  }
  if (SHELL.static.indexOf(url.pathname) >= 0) {
    event.respondWith(cacheFirst(SHELL_CACHE, request));
    return;
  }
  if (url.pathname.indexOf("/tiles/") === 0) {
    event.respondWith(cacheFirst(TILES_CACHE, request));
  }
});

// The page names the tiles of the officer's grid (it knows the grid and the base map's URLs).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "cache-tiles") {
    event.waitUntil(caches.open(TILES_CACHE).then(function (cache) {
      return Promise.all((data.urls || []).map(function (tile) {
        tileUrls.add(tile);
        return cache.match(tile).then(function (found) {
          if (found) return;
          var sameOrigin = new URL(tile).origin === self.location.origin;
          return fetch(tile, { mode: sameOrigin ? "same-origin" : "no-cors" })
            .then(function (response) { if (response.ok || response.type === "opaque") return cache.put(tile, response); })
            .catch(function () {});
        });
      }));
    }));
  } else if (data.type === "keep-pages") {
    event.waitUntil(Promise.all((data.urls || []).map(function (page) { return fetchAndKeep(PAGES_CACHE, page); })));
  }
});
