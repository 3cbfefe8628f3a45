// The ticket page's live SLA countdown: every element with data-sla-due (an ISO date-time) shows the time left, or
// how long it is overdue, updated each second; overdue or breached (data-sla-state) turns it red. htmx swaps of
// the ticket header bring new elements: they are picked up on the next tick.
(function () {
  "use strict";
  var RED = ["font-semibold", "text-red-700", "dark:text-red-400"];

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var seconds = Math.floor((Math.abs(ms) % 60000) / 1000);
    if (days) return days + "d " + hours + "h " + (minutes % 60) + "m";
    if (hours) return hours + "h " + (minutes % 60) + "m";
    return (minutes % 60) + "m " + (seconds < 10 ? "0" : "") + seconds + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.slaDue);
      if (isNaN(due)) return;
      var left = due - now;
      var out = el.querySelector("[data-sla-left]");
      if (out) {
        out.textContent = "(" + span(left) + " " + (left >= 0 ? el.dataset.labelLeft : el.dataset.labelOver) + ")";
      }
      var red = left < 0 || el.dataset.slaState === "breached";
      RED.forEach(function (name) { el.classList.toggle(name, red); });
      el.dataset.overdue = left < 0 ? "true" : "false";
    });
  }

  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSettle", tick);
})();
