/*
 * Service worker of the offline tablet page. Served by the view needs:offline_worker, which
 * prepends VERSION (changes with these files) and PRECACHE (the page and its files).
 *
 * - The page: network first (fresh data and CSRF token when online), the kept copy offline.
 * - Its static files: the kept copy first.
 * - Everything else (the API above all) is not touched: answers are queued by offline.js, not here.
 */
/* global VERSION, PRECACHE */
"use strict";

var CACHE = "proxima-terrain-" + VERSION;
var PAGE = PRECACHE[0];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(PRECACHE); }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("proxima-terrain-") === 0 && k !== CACHE; }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    event.respondWith(
      fetch(request).then(function (response) {
        // A redirect (to the login page) or an error is shown but never replaces the kept page.
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(PAGE);
      })
    );
    return;
  }
  if (PRECACHE.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(url.pathname).then(function (kept) { return kept || fetch(request); }));
  }
});
