/* Firma signing flow: progressive enhancement of the server-rendered steps (works without it). */
(function () {
  "use strict";

  function $(root, sel) { return root.querySelector(sel); }
  function formToken() { var f = document.querySelector("input[name=form_token]"); return f ? f.value : ""; }

  /* --- portal iframe: tell the parent page where we are, only at an allowed origin --- */
  function parentOrigin() {
    var allowed = (document.body.dataset.origins || "").split(" ").filter(Boolean);
    var seen = (location.ancestorOrigins && location.ancestorOrigins[0]) ||
      (document.referrer ? new URL(document.referrer).origin : "");
    return allowed.indexOf(seen) >= 0 ? seen : allowed[0];
  }
  function tellParent(type, data) {
    if (window.parent === window || !document.body.classList.contains("embedded")) return;
    var origin = parentOrigin();
    if (origin) window.parent.postMessage(Object.assign({ type: type }, data || {}), origin);
  }

  /* --- read step: time per page, last page reached --- */
  function initReading(root) {
    var pages = root.querySelectorAll("[data-page]");
    var form = $(root, "form");
    var box = $(root, "[data-needs-last-page]");
    if (!pages.length || !form || !window.IntersectionObserver) return;
    var seconds = {}, visible = {}, last = pages.length;
    var hint = $(root, "[data-last-page-hint]");
    box.disabled = true; hint.hidden = false;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        var n = e.target.dataset.page;
        if (e.isIntersecting) { visible[n] = Date.now(); }
        else if (visible[n]) { seconds[n] = (seconds[n] || 0) + (Date.now() - visible[n]) / 1000; delete visible[n]; }
        if (e.isIntersecting && Number(n) === last) {
          box.disabled = false; hint.hidden = true; form.elements.last_page_reached.value = "yes";
        }
      });
    }, { threshold: 0.35 });
    pages.forEach(function (p) { observer.observe(p); initZoom(p); });
    form.addEventListener("submit", function () {
      Object.keys(visible).forEach(function (n) { seconds[n] = (seconds[n] || 0) + (Date.now() - visible[n]) / 1000; visible[n] = Date.now(); });
      form.elements.reading.value = JSON.stringify(seconds);
    }, true);
  }

  /* --- read step: enlarge a page in place (pan inside its frame), never in a new tab --- */
  function initZoom(figure) {
    var button = $(figure, "[data-zoom]"), img = $(figure, "img");
    if (!button) return;
    button.hidden = false;
    function toggle() {
      var on = figure.classList.toggle("zoomed");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "Reduzir" : "Ampliar texto";
    }
    button.addEventListener("click", toggle);
    if (img) img.addEventListener("dblclick", toggle);
  }

  /* --- signature step: signature_pad canvas replaces the typed-name fallback --- */
  function initSignature(root) {
    var wrap = $(root, "[data-signature-pad]");
    if (!wrap || !window.SignaturePad) return;
    var canvas = $(wrap, "canvas"), form = wrap.closest("form");
    wrap.hidden = false; $(root, "[data-typed-signature]").hidden = true;
    var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#102a6b" });
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1), data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio); pad.clear(); pad.fromData(data);
    }
    window.addEventListener("resize", resize); resize();
    $(wrap, "[data-pad-clear]").addEventListener("click", function () { pad.clear(); });
    $(wrap, "[data-pad-undo]").addEventListener("click", function () { var d = pad.toData(); d.pop(); pad.fromData(d); });
    form.addEventListener("submit", function () {
      form.elements.signature.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
      form.elements.typed_name.value = "";
    }, true);
  }

  /* --- confirm step: location is asked only after consent, and every answer is recorded --- */
  function initGeolocation(root) {
    var geo = $(root, "[data-geo]");
    if (!geo) return;
    var consent = $(root, "[data-consent]"), button = $(geo, "[data-geo-button]");
    geo.hidden = false;
    consent.addEventListener("change", function () { button.disabled = !consent.checked; });
    button.disabled = !consent.checked;
    function send(fields) {
      var body = new URLSearchParams(Object.assign({ form_token: formToken() }, fields));
      fetch(button.dataset.url, { method: "POST", body: body, credentials: "omit",
        headers: { "HX-Request": "true" } })
        .then(function (r) { return r.text(); })
        .then(function (html) { var s = $(geo, "#geo-status"); if (s) s.outerHTML = html; });
    }
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { send({ status: "unavailable" }); return; }
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (p) {
        send({ status: "granted", latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy });
      }, function (err) {
        send({ status: err.code === 1 ? "denied" : err.code === 3 ? "timeout" : "unavailable" });
        button.disabled = false;
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  function boot(root) {
    var step = root.querySelector ? root.querySelector("[data-step]") || (root.dataset && root.dataset.step ? root : null) : null;
    if (!step) return;
    initReading(step); initSignature(step); initGeolocation(step);
    if (window.FirmaCapture) window.FirmaCapture.init(step);
    var name = step.dataset.step;
    tellParent("firma:step", { step: name });
    if (name === "done") {
      var outcome = step.dataset.outcome;
      if (outcome === "signed") tellParent("firma:signed", {});
      if (outcome === "declined") tellParent("firma:declined", {});
    }
    if (step.focus && root !== document) step.focus();
  }

  /* --- PWA: cache the static shell and an offline page (not inside the portal's iframe: its storage is partitioned) --- */
  function registerWorker() {
    var url = document.body.dataset.sw;
    if (!url || !("serviceWorker" in navigator) || document.body.classList.contains("embedded")) return;
    navigator.serviceWorker.register(url).catch(function () { /* the flow works without it */ });
  }

  window.addEventListener("load", registerWorker);
  window.addEventListener("offline", function () { var o = document.getElementById("offline"); if (o) o.hidden = false; });
  window.addEventListener("online", function () { var o = document.getElementById("offline"); if (o) o.hidden = true; });
  if (window.htmx) { window.htmx.onLoad(boot); } else { document.addEventListener("DOMContentLoaded", function () { boot(document); }); }
})();
