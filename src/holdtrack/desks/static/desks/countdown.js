/* Keeps every <time datetime="…Z" data-countdown> showing the time left until (or since) its instant.
   The server renders the same text first, so the page reads correctly without JavaScript. */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // Same wording as holdtrack.desks.presenters.duration_text.
  function duration(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days >= 3) {
      return days + " days " + hours + " h";
    }
    hours += days * 24;
    if (hours) {
      return hours + " h " + pad(mins) + " min";
    }
    return mins + " min";
  }

  function update() {
    var now = Date.now();
    var nodes = document.querySelectorAll("time[data-countdown]");
    for (var i = 0; i < nodes.length; i += 1) {
      var node = nodes[i];
      var due = Date.parse(node.getAttribute("datetime"));
      if (isNaN(due)) {
        continue;
      }
      var left = due - now;
      node.textContent = left >= 0 ? duration(left) + " left" : "passed " + duration(left) + " ago";
      node.classList.toggle("is-past", left < 0);
    }
  }

  function start() {
    update();
    window.setInterval(update, 30000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
