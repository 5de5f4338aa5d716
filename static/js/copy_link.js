// "Copiar link": copies the read-only field a button names (data-copy) and says so; works under the strict CSP.
(function () {
  "use strict";
  if (window.firmaCopyLink) return;
  window.firmaCopyLink = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!field) return;
    field.select();
    var done = function () { if (status) status.textContent = "Link copiado."; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (status) status.textContent = "Selecione o link e copie (Ctrl+C).";
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
