// Template editor: Quill 2 (rich text) over the HTML textarea, which stays the submitted field and the source view.
(function () {
  "use strict";
  // Markup the visual editor would drop: such a template opens in the source view.
  var SOURCE_ONLY = /<table|<style|\{%|<img|colspan|rowspan/i;

  // Quill's toolbar names its controls in English or not at all: name each one in pt-BR.
  var LABELS = { ".ql-header .ql-picker-label": "Estilo do parágrafo", ".ql-align .ql-picker-label": "Alinhamento",
                 "button.ql-bold": "Negrito", "button.ql-italic": "Itálico", "button.ql-underline": "Sublinhado",
                 "button.ql-list[value=ordered]": "Lista numerada", "button.ql-list[value=bullet]": "Lista com marcadores",
                 "button.ql-link": "Inserir link", "button.ql-clean": "Limpar formatação" };
  // The options inside the pickers (their visible words for headings come from admin.css).
  var OPTIONS = { ".ql-header": { "1": "Título 1", "2": "Título 2", "3": "Título 3", "": "Parágrafo" },
                  ".ql-align": { "": "Alinhar à esquerda", "center": "Centralizar", "right": "Alinhar à direita",
                                 "justify": "Justificar" } };
  function labelToolbar(box) {
    var bar = box.querySelector(".ql-toolbar");
    if (!bar) return;
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatação do texto");
    Object.keys(LABELS).forEach(function (sel) {
      bar.querySelectorAll(sel).forEach(function (el) { el.setAttribute("aria-label", LABELS[sel]); el.title = LABELS[sel]; });
    });
    Object.keys(OPTIONS).forEach(function (picker) {
      bar.querySelectorAll(picker + " .ql-picker-item").forEach(function (el) {
        var name = OPTIONS[picker][el.getAttribute("data-value") || ""];
        if (name) { el.setAttribute("aria-label", name); el.title = name; }
      });
    });
    var link = box.querySelector(".ql-tooltip input[data-link]");  // Quill's own placeholder is its website
    if (link) link.setAttribute("data-link", "https://exemplo.com.br");
  }

  function setUp() {
    var area = document.getElementById("body");
    var box = document.querySelector("[data-rich-editor]");
    if (!area || !box || box.dataset.ready || typeof Quill === "undefined") return;
    box.dataset.ready = "1";
    var mode = document.querySelector("[data-editor-mode]"), toggle = mode.querySelector("[data-editor-toggle]");
    var note = mode.querySelector("[data-editor-note]");
    var quill = new Quill(box.querySelector("[data-rich-surface]"), {
      theme: "snow",
      modules: { toolbar: [[{ header: [1, 2, 3, false] }], ["bold", "italic", "underline"],
                           [{ list: "ordered" }, { list: "bullet" }], [{ align: [] }], ["link"], ["clean"]] }
    });
    labelToolbar(box);
    area.parentNode.insertBefore(box, area.nextSibling);
    quill.root.setAttribute("role", "textbox");  // a name on a plain div is not allowed: it is a text box
    quill.root.setAttribute("aria-multiline", "true");
    quill.root.setAttribute("aria-label", "Conteúdo do modelo (editor visual)");
    var source = false;
    function toArea() {
      area.value = quill.root.innerHTML;
      area.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));  // refreshes the page-image preview
    }
    function show(asSource) {
      source = asSource;
      if (!asSource) quill.setContents(quill.clipboard.convert({ html: area.value }), "silent");
      box.hidden = asSource;
      area.hidden = !asSource;
      toggle.textContent = asSource ? "Ver editor visual" : "Ver código HTML";
      toggle.setAttribute("aria-pressed", asSource ? "true" : "false");
    }
    quill.on("text-change", function (delta, old, origin) { if (origin === "user") toArea(); });
    toggle.addEventListener("click", function () {
      if (source && SOURCE_ONLY.test(area.value) &&
          !window.confirm("O editor visual não mostra tabelas, imagens nem blocos {% %} e pode removê-los. Continuar?")) return;
      show(!source);
    });
    // The palette inserts at Quill's caret when the visual editor is showing (admin.js handles the source view).
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button.var[data-insert]");
      if (!button || source) return;
      event.stopPropagation();
      var at = (quill.getSelection(true) || { index: quill.getLength() - 1 }).index;
      quill.insertText(at, button.getAttribute("data-insert"), "user");
      quill.setSelection(at + button.getAttribute("data-insert").length);
    }, true);
    mode.hidden = false;
    var complex = SOURCE_ONLY.test(area.value);
    note.textContent = complex ? "Este modelo usa tabelas, imagens ou blocos {% %}: edite pelo código HTML." : "";
    show(complex);
  }
  window.addEventListener("load", setUp);
  document.addEventListener("htmx:load", setUp);
})();
