/* Draws the Vega-Lite charts of the report pages. Content-Security-Policy friendly: no inline script, no eval —
   each spec is JSON in a <script type="application/json"> element named by data-vega-spec, and vega-embed runs
   with ast: true (its expression interpreter instead of generated functions). The table beside each chart holds
   the same numbers, so a chart that cannot be drawn loses nothing. Neither vega-embed nor its tooltip may add
   an inline <style> (refused by style-src 'self'): defaultStyle is off and the tooltip's look is in reports.css. */
(function () {
  "use strict";

  function fail(el) {
    el.removeAttribute("role");
    el.removeAttribute("aria-label");
    el.textContent = "The chart could not be drawn. The table below has the same numbers.";
    el.classList.add("chart--failed");
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-vega-spec"));
    if (!source || typeof window.vegaEmbed !== "function") {
      fail(el);
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (e) {
      fail(el);
      return;
    }
    window
      .vegaEmbed(el, spec, { renderer: "svg", actions: false, ast: true, tooltip: { disableDefaultStyle: true }, defaultStyle: false })
      .then(function (result) {
        // The SVG repeats what the figure's aria-label and table say: keep it out of the reading order.
        var svg = el.querySelector("svg");
        if (svg) {
          svg.setAttribute("aria-hidden", "true");
          svg.setAttribute("focusable", "false");
        }
        el.setAttribute("data-rendered", "true");
        return result;
      })
      .catch(function () {
        fail(el);
      });
  }

  function start() {
    var charts = document.querySelectorAll("[data-vega-spec]");
    for (var i = 0; i < charts.length; i++) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
