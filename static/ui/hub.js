// The hub's few behaviours in one static file: the Content-Security-Policy allows scripts from
// the hub's own origin only, so no page carries inline script or on* attributes.
(function () {
  "use strict";

  function ready(run) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", run);
    } else {
      run();
    }
  }

  ready(function () {
    // <select data-autosubmit>: choosing submits its form (the agency switcher); a <noscript>
    // button does it without JavaScript.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // <form data-once>: a second click while the first post is on its way does nothing. The
    // server makes a repeat harmless anyway; this spares the clerk a confusing second load.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.setAttribute("aria-disabled", "true");
        });
      });
    });
  });
})();
