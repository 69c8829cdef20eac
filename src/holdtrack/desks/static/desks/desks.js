/* Small progressive enhancement; every page works without JavaScript: after an action is refused, move focus
   to the message so that screen-reader users hear it first. */
(function () {
  "use strict";

  function start() {
    var alert = document.querySelector("[data-focus-on-load]");
    if (alert) {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
