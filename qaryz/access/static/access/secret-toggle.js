// Masked secrets with an optional "show" toggle (R-WEB-3). No inline script: CSP allows only files.
(function () {
  "use strict";
  document.querySelectorAll("input[data-secret]").forEach(function (input) {
    // The labels come translated from the server; without them no toggle is added (never English).
    var label = input.getAttribute("data-show");
    var hideLabel = input.getAttribute("data-hide");
    if (input.type !== "password") { input.type = "password"; }
    if (!label || !hideLabel) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secret-toggle";
    button.textContent = label;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      button.textContent = show ? hideLabel : label;
      button.setAttribute("aria-pressed", show ? "true" : "false");
    });
    input.insertAdjacentElement("afterend", button);
  });
  // Never keep what was typed when the page is restored from the back/forward cache.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("input[data-secret]").forEach(function (input) { input.value = ""; });
    }
  });
  // Registration: show the fields of the chosen kind only.
  var kind = document.querySelector("select[name=kind]");
  if (kind) {
    var sync = function () {
      var entity = kind.value === "legal_entity";
      document.querySelectorAll("[data-for]").forEach(function (block) {
        block.hidden = (block.getAttribute("data-for") === "entity") !== entity;
      });
    };
    kind.addEventListener("change", sync);
    sync();
  }
})();
