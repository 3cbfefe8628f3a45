/* The technician view's service worker, served at /my-day/sw.js (scope /my-day/) by portals/staff/views/my_day.py,
 * which prepends self.MY_DAY = {page, assets}: the day page's URL and its assets' URLs (hashed in production).
 *
 * Pages under /my-day/: network first (always fresh when online), each answer kept; offline, the kept copy of that
 * URL, else of the day page. The assets: kept at install, served from the cache, refreshed in the background.
 * Anything else (POSTs: the sync, photos) passes through untouched: the page's queue (static/js/my_day.js) is
 * what makes updates survive being offline. A new deploy changes the asset URLs, so the worker, and its cache. */
"use strict";

var CONFIG = self.MY_DAY || { page: "/my-day/", assets: [] };
var CACHE = "omni-my-day-" + btoa(CONFIG.assets.join("|")).slice(-24);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // the page needs the session cookie: `credentials` so it is kept signed in, as the technician saw it
      return Promise.all([
        cache.addAll(CONFIG.assets),
        fetch(CONFIG.page, { credentials: "same-origin" }).then(function (response) {
          if (response.ok) return cache.put(CONFIG.page, response);
        }).catch(function () {}),
      ]);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("omni-my-day-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isPage(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(CONFIG.page) === 0 &&
    !/\.(js|webmanifest)$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CONFIG.assets.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (kept) {
          var fresh = fetch(request).then(function (response) {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
          return kept || fresh;
        });
      })
    );
    return;
  }
  if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      }).catch(function () {
        return caches.open(CACHE).then(function (cache) {
          return cache.match(request).then(function (kept) { return kept || cache.match(CONFIG.page); });
        });
      })
    );
  }
});
