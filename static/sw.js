/* Firma service worker: the static shell from cache, an offline page for navigations, never a signing page
   (those carry the link token and are no-store). Bump VERSION when the shell changes. */
"use strict";
var VERSION = "firma-shell-1";
var SHELL = [
  "/offline",
  "/static/css/firma.css",
  "/static/js/signer.js",
  "/static/js/capture.js",
  "/static/vendor/htmx-2.0.11/htmx.min.js",
  "/static/vendor/signature_pad-5.1.4/signature_pad.umd.min.js",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/manifest.webmanifest"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) { return cache.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== VERSION; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match("/offline"); }));
    return;
  }
  if (new URL(request.url).pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
});
