// The console's only script: progressive enhancement, written for this console (no library).
// Pages work without it; with it, feeds update live from /console/feed (server-sent events whose data is
// an HTML row the server rendered and escaped) and a confirm button cannot be pressed twice by accident.
"use strict";
(function () {
  var MAX_ROWS = 200;
  function follow(tbody) {
    var source = new EventSource(tbody.getAttribute("data-feed"));
    source.addEventListener("row", function (e) {
      var holder = document.createElement("tbody");
      holder.innerHTML = e.data;
      var row = holder.firstElementChild;
      if (!row || tbody.querySelector('tr[data-tx="' + row.getAttribute("data-tx") + '"]')) return;
      tbody.insertBefore(row, tbody.firstElementChild);
      while (tbody.children.length > MAX_ROWS) tbody.removeChild(tbody.lastElementChild);
    });
    tbody.setAttribute("data-live", "connecting");
    source.onopen = function () { tbody.setAttribute("data-live", "open"); };
    source.onerror = function () { tbody.setAttribute("data-live", "reconnecting"); };
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tbody[data-feed]").forEach(follow);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function () {
        // The server holds the line (one Idempotency-Key per confirmation page); this is only courtesy.
        var button = form.querySelector("button[type=submit]");
        setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();
