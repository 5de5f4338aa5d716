// Small enhancements of the staff panel; every page also works without them.
(function () {
  "use strict";

  // Narrow screens: the menu folds behind a "Menu" button (without JS it simply stays open above the page).
  document.documentElement.classList.add("js");
  function setUpMenu() {
    var toggle = document.querySelector(".menu-toggle"), nav = document.getElementById("admin-nav");
    if (!toggle || !nav || toggle.dataset.ready) return;
    toggle.dataset.ready = "1";
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  setUpMenu();
  document.addEventListener("htmx:load", setUpMenu);

  // Template editor: a palette button inserts its variable at the caret and refreshes the live preview.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.var[data-insert]");
    if (!button) return;
    var area = document.getElementById("body");
    if (!area) return;
    var text = button.getAttribute("data-insert");
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
    area.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  });

  // Contract list: the header checkbox marks every row of this page.
  document.addEventListener("change", function (event) {
    if (event.target.id !== "check-page") return;
    document.querySelectorAll("input.row-check").forEach(function (box) { box.checked = event.target.checked; });
  });

  // My account: draw the stored signature once with signature_pad.
  function setUpSignaturePad() {
    var canvas = document.getElementById("signature-pad");
    if (!canvas || canvas.dataset.ready || typeof SignaturePad === "undefined") return;
    canvas.dataset.ready = "1";
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    var pad = new SignaturePad(canvas);
    document.getElementById("signature-clear").addEventListener("click", function () { pad.clear(); });
    document.getElementById("signature-form").addEventListener("submit", function () {
      if (!pad.isEmpty()) document.getElementById("signature-data").value = pad.toDataURL("image/png");
    });
  }
  window.addEventListener("load", setUpSignaturePad);
  document.addEventListener("htmx:load", setUpSignaturePad);
})();
