/* casebook inbox in the nav: the unread count and the newest notifications.

   - <details id="nav-inbox" data-tray-url> loads its list (a server-rendered partial) when
     opened, and again on a new notification while open.
   - Every element .inbox-count shows the unread count; live.js tells us of new notifications
     ({type: "notification", unread}) and of reads elsewhere ({type: "unread", unread}) with a
     "casebook:inbox" event.
   No inline handlers: the CSP forbids them. */
(function () {
  "use strict";

  var CAP = 100;

  function showCount(count) {
    var text = count >= CAP ? CAP - 1 + "+" : String(count);
    document.querySelectorAll(".inbox-count").forEach(function (badge) {
      badge.textContent = text;
      badge.dataset.unread = String(count);
      badge.hidden = count === 0 && badge.closest("summary") !== null;
    });
  }

  function start() {
    var details = document.getElementById("nav-inbox");
    var panel = document.getElementById("nav-inbox-panel");

    function load() {
      if (!details || !panel || !details.open) return;
      window
        .fetch(details.dataset.trayUrl, {
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest" },
        })
        .then(function (response) {
          return response.ok && !response.redirected ? response.text() : null;
        })
        .then(function (html) {
          if (html === null) return;
          panel.innerHTML = html;
          var tray = panel.querySelector(".tray");
          if (tray) showCount(Number(tray.dataset.unread || 0));
        })
        .catch(function () {
          /* the inbox page still works; the next opening tries again */
        });
    }

    if (details) details.addEventListener("toggle", load);

    document.addEventListener("casebook:inbox", function (event) {
      var data = event.detail || {};
      if (typeof data.unread === "number") showCount(data.unread);
      if (data.type === "notification") load();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
