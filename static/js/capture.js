/* Firma identity capture: downsized photo uploads with progress, the live selfie burst, offline retry.
   Without this script the forms still post the original photo and the server downsizes it. */
(function () {
  "use strict";

  var MAX_SIDE = 1600, QUALITY = 0.85;
  var FRAMES = 11, FRAME_GAP_MS = 320, FRAME_W = 640;  // ~3.5 s; each frame at a fixed time from the start
  var pending = [];  // uploads that failed for lack of connection: retried when the browser is back online

  function $(root, sel) { return root.querySelector(sel); }

  /* --- swapping the server's answer in, as htmx would --- */
  function swapStep(html, pushUrl) {
    if (pushUrl) history.pushState({}, "", pushUrl);
    if (window.htmx) { window.htmx.swap("#step", html, { swapStyle: "outerHTML" }); return; }
    var step = document.getElementById("step");
    if (step) step.outerHTML = html;
  }

  function showProgress(box, percent, text) {
    if (!box) return;
    box.hidden = false;
    $(box, "progress").value = percent;
    $(box, "[data-progress-text]").textContent = text;
  }

  /* --- uploads: progress bar; a dropped connection keeps the data and retries when online --- */
  function upload(url, formData, progressBox, onDone) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = false;
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) showProgress(progressBox, Math.round(e.loaded * 100 / e.total), Math.round(e.loaded * 100 / e.total) + "%");
    };
    xhr.onload = function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0 && xhr.status < 500 && xhr.status !== 400 && xhr.status !== 409) {
        if (onDone) onDone();
        swapStep(xhr.responseText, xhr.getResponseHeader("HX-Push-Url"));
      } else {
        showProgress(progressBox, 0, "Não foi possível enviar. Recarregue a página e tente de novo.");
      }
    };
    xhr.onerror = function () {
      showProgress(progressBox, 0, "Sem conexão: vamos enviar assim que a internet voltar.");
      pending.push(function () { upload(url, formData, progressBox, onDone); });
      var banner = document.getElementById("offline");
      if (banner) banner.hidden = false;
    };
    showProgress(progressBox, 0, "Enviando…");
    xhr.send(formData);
  }

  window.addEventListener("online", function () {
    var retry = pending.splice(0);
    retry.forEach(function (fn) { fn(); });
  });

  /* --- document photo: decode (EXIF-upright), shrink to ≤ 1600 px, JPEG ~0.85 --- */
  function decode(file) {
    if (window.createImageBitmap) return createImageBitmap(file, { imageOrientation: "from-image" });
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  function downsize(file) {
    return decode(file).then(function (img) {
      var w = img.width, h = img.height, scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    }).then(function (blob) { return blob && blob.size < file.size ? blob : file; })
      .catch(function () { return file; });  // a format the browser cannot decode goes as is
  }

  function initPhotoForm(form) {
    var input = $(form, "input[type=file]"), box = $(form, "[data-progress]");
    function send(e) {
      if (e) e.preventDefault();
      var file = input.files && input.files[0];
      if (!file) { input.click(); return; }
      showProgress(box, 0, "Preparando a foto…");
      downsize(file).then(function (blob) {
        var data = new FormData();
        data.append("form_token", form.elements.form_token.value);
        data.append("photo", blob, "foto.jpg");
        upload(form.action, data, box);
      });
    }
    form.addEventListener("submit", send);
    input.addEventListener("change", function () { if (input.files.length) send(); });
  }

  /* --- live selfie: front camera, oval guide, spoken and written prompts, a burst of frames --- */
  function say(text, promptEl) {
    promptEl.textContent = text;
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) return;
    var u = new SpeechSynthesisUtterance(text);
    u.lang = "pt-BR";
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(u);
  }

  function grab(video, canvas) {
    var w = Math.min(FRAME_W, video.videoWidth), h = Math.round(video.videoHeight * w / video.videoWidth);
    canvas.width = w; canvas.height = h;
    canvas.getContext("2d").drawImage(video, 0, 0, w, h);  // unmirrored: the server expects the camera's view
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
  }

  function initLive(step) {
    var live = $(step, "[data-live]"), fallback = $(step, "[data-fallback]");
    if (!live) return;
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;  // the photo fallback stays
    live.hidden = false;
    if (fallback) fallback.hidden = true;
    var video = $(live, "[data-video]"), promptEl = $(live, "[data-prompt]"), start = $(live, "[data-live-start]");
    var box = $(live, "[data-progress]"), stream = null, token = step.querySelector("input[name=form_token]");
    token = token ? token.value : "";

    var denied = $(live, "[data-camera-denied]"), cameraBox = $(live, ".camera");
    function stop() { if (stream) stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    function noCamera() {
      stop(); live.hidden = true;
      if (fallback) fallback.hidden = false;
    }
    function browserGuide() {
      var ua = navigator.userAgent;
      if (/SamsungBrowser/.test(ua)) return "samsung";
      if (/iPhone|iPad|iPod/.test(ua)) return "ios";
      if (/Android/.test(ua) && /Chrome\//.test(ua) && !/; wv\)/.test(ua)) return "chrome-android";
      return "other";
    }
    // A refused camera is explained for this browser, with a retry, before any photo fallback is offered.
    function cameraRefused(err) {
      stop();
      if (!denied) { noCamera(); return; }
      var guide = browserGuide();
      denied.querySelectorAll("[data-guide]").forEach(function (g) { g.hidden = g.dataset.guide !== guide; });
      if (err.name !== "NotAllowedError") {
        $(denied, "[data-denied-title]").textContent = "Não conseguimos abrir a câmera";
        $(denied, "[data-denied-text]").textContent = err.name === "NotFoundError"
          ? "Não encontramos uma câmera neste aparelho. Se ela estiver desativada, ative-a e tente de novo."
          : "A câmera parece estar em uso por outro aplicativo. Feche-o e tente de novo. Se ainda não funcionar:";
      }
      start.hidden = true; cameraBox.hidden = true; denied.hidden = false; denied.focus();
      promptEl.textContent = "";
    }
    if (denied) {
      $(denied, "[data-camera-retry]").addEventListener("click", function () {
        denied.hidden = true; cameraBox.hidden = false; start.hidden = false; start.disabled = false; start.click();
      });
      $(denied, "[data-camera-give-up]").addEventListener("click", noCamera);
    }
    function camera() {
      if (stream) return Promise.resolve();
      return navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } } })
        .then(function (s) {
          stream = s; video.srcObject = s;
          return new Promise(function (resolve) {
            if (video.readyState >= 2) resolve(); else video.onloadeddata = function () { resolve(); };
          });
        }).then(function () { return video.play(); });
    }
    function challenge() {
      var body = new URLSearchParams({ form_token: token });
      return fetch(live.dataset.challengeUrl, { method: "POST", body: body, credentials: "omit" })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || "erro"); return j; }); });
    }
    function burst(prompts) {
      var canvas = document.createElement("canvas"), frames = [], i = 0;
      var cues = { 2: prompts[0], 6: prompts[1] };
      var t0 = performance.now();
      return new Promise(function (resolve) {
        function next() {
          if (cues[i]) say(cues[i], promptEl);
          grab(video, canvas).then(function (blob) {
            frames.push(blob); i += 1;
            // scheduled from the start, so encoding time does not stretch the burst or skip a movement
            if (i >= FRAMES) resolve(frames); else setTimeout(next, Math.max(0, t0 + i * FRAME_GAP_MS - performance.now()));
          });
        }
        next();
      });
    }
    start.addEventListener("click", function () {
      start.disabled = true;
      camera().then(function () {
        say("Olhe para a câmera, com o rosto dentro da moldura.", promptEl);
        return challenge();
      }).then(function (c) {
        var left = $(live, "[data-attempts]");
        if (left) left.textContent = c.attempts_left;
        return new Promise(function (r) { setTimeout(r, 1200); }).then(function () { return burst(c.prompts); });
      }).then(function (frames) {
        say("Pronto! Conferindo…", promptEl);
        var data = new FormData();
        data.append("form_token", token);
        frames.forEach(function (f, n) { data.append("frame", f, "frame-" + n + ".jpg"); });
        upload(live.dataset.uploadUrl, data, box, stop);
      }).catch(function (err) {
        if (err && (err.name === "NotAllowedError" || err.name === "NotFoundError" || err.name === "NotReadableError")) {
          cameraRefused(err);
        } else {
          promptEl.textContent = (err && err.message) || "Não foi possível começar. Tente de novo.";
          start.disabled = false;
        }
      });
    });
  }

  window.FirmaCapture = {
    init: function (step) {
      step.querySelectorAll("form[data-capture]").forEach(initPhotoForm);
      initLive(step);
    }
  };
})();
