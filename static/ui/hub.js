/* The clerk UI's one script (docs/ui.md). The CSP allows scripts from our origin only
   (script-src 'self'), so nothing lives inline in a template. Every page works without it. */
(function () {
  "use strict";
  function ready(run) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
  }
  ready(function () {
    // A second click while the first post is on its way does nothing (the server also makes a
    // repeat harmless; this only spares the clerk a confusing second page load).
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) { return; }
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
      });
    });
    // Enter in the directory search looks agencies up instead of posting the whole letter.
    document.querySelectorAll("input[data-no-submit]").forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    });
    // "Print" buttons: the browser's print dialog with the page's print stylesheet.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    // The agency switcher submits on change (it has a submit button for keyboards without JS).
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
