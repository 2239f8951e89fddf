/* casebook live updates over WebSockets.

   - A desk board (<div id="board" data-desk data-columns-url>) re-reads its columns whenever
     a case of the desk changes, and after a dropped socket comes back.
   - A case page (<div id="presence" data-case [data-editing="1"]>, <div id="timeline"
     data-timeline-url>) shows who else has the case open or is editing it, and re-reads its
     timeline whenever the case changes.
   - The exit team's dashboard (<div id="exit-dashboard" data-live-url>) re-reads its body
     whenever a plan the user sees changes, and after a dropped socket comes back.
   - Every page of a logged-in user (<body data-user>) shows personal notifications.
   - A satellite's day screen (<section id="satellite-day" data-office data-date data-rows-url>)
     re-reads its rows whenever a booking of that office on that day changes, and after a
     dropped socket comes back.

   The server sends ids and states only for what the user may see; the page then re-reads
   the partial, which the server renders for that user. Sockets reconnect with backoff
   (1 s doubling to 30 s, with jitter); close code 4401 means "log in again" (the page
   reloads, once a minute at most), 4404 means "nothing to watch here" (no retry). While a
   socket is down (the server, or the Redis behind its channel layer, went away) the page
   re-reads what it shows every half minute, so it is never more than that behind.
   No inline handlers: the CSP forbids them. */
(function () {
  "use strict";

  var LABELS_KEY = "casebook.live.labels";
  var RELOAD_KEY = "casebook.live.reloadedAt";
  var PING_EVERY = 25000;
  var MAX_DELAY = 30000;
  var OFFLINE_AFTER = 2000;
  var EDITING_IDLE = 120000;
  var REREAD_WHILE_DOWN = 30000;

  var labels = {};
  try {
    labels = JSON.parse(window.sessionStorage.getItem(LABELS_KEY) || "{}");
  } catch (error) {
    labels = {};
  }

  function rememberLabels(received) {
    if (!received) return;
    labels = received;
    try {
      window.sessionStorage.setItem(LABELS_KEY, JSON.stringify(received));
    } catch (error) {
      /* private mode: keep them in memory only */
    }
  }

  function socketUrl(path) {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  /* --- the "connection lost" banner, shown only after a short grace period ------------------ */

  var offlineSockets = 0;
  var offlineTimer = null;
  var banner = null;

  function showOffline() {
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "live-offline";
      banner.className = "alert warning";
      banner.setAttribute("role", "status");
      banner.style.cssText =
        "position:fixed;left:1rem;bottom:1rem;z-index:1000;margin:0;max-width:24rem;";
      document.body.appendChild(banner);
    }
    banner.textContent = labels.offline || "…";
    banner.style.display = "";
    document.body.setAttribute("data-live", "offline");
  }

  function socketWentDown() {
    offlineSockets += 1;
    if (!offlineTimer) offlineTimer = window.setTimeout(showOffline, OFFLINE_AFTER);
  }

  function socketCameBack() {
    offlineSockets = Math.max(0, offlineSockets - 1);
    if (offlineSockets > 0) return;
    window.clearTimeout(offlineTimer);
    offlineTimer = null;
    if (banner) banner.style.display = "none";
    markOnline();
  }

  /* --- one socket that comes back by itself ------------------------------------------------- */

  var sockets = [];

  function LiveSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.delay = 1000;
    this.opened = false;
    this.down = false;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.rereadTimer = null;
    sockets.push(this);
    this.connect();
  }

  LiveSocket.prototype.connect = function () {
    var self = this;
    self.retryTimer = null;
    var socket;
    try {
      socket = new WebSocket(socketUrl(self.path));
    } catch (error) {
      self.retry();
      return;
    }
    self.socket = socket;
    socket.addEventListener("open", function () {
      var reconnected = self.opened;
      self.opened = true;
      self.delay = 1000;
      if (self.down) {
        self.down = false;
        socketCameBack();
      }
      window.clearInterval(self.rereadTimer);
      self.rereadTimer = null;
      markOnline();
      self.pingTimer = window.setInterval(function () {
        self.send({ type: "ping" });
      }, PING_EVERY);
      if (self.handlers.open) self.handlers.open(reconnected);
    });
    socket.addEventListener("message", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data.type === "hello") {
        rememberLabels(data.labels);
        if (banner) banner.textContent = labels.offline || "…";
        return;
      }
      if (data.type === "pong") return;
      self.handlers.message(data);
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(self.pingTimer);
      self.pingTimer = null;
      if (self.stopped) return;
      if (event.code === 4401) {
        self.stop();
        reloadForLogin();
        return;
      }
      if (event.code === 4404) {
        self.stop();
        if (self.handlers.refused) self.handlers.refused();
        return;
      }
      self.retry();
    });
  };

  /* <body data-live="online"> once every socket of the page is open (tests wait for it). */
  function markOnline() {
    var open = sockets.every(function (socket) {
      return socket.stopped || (socket.socket && socket.socket.readyState === WebSocket.OPEN);
    });
    if (open && offlineSockets === 0) document.body.setAttribute("data-live", "online");
  }

  LiveSocket.prototype.retry = function () {
    var self = this;
    if (self.stopped || self.retryTimer) return;
    if (!self.down) {
      self.down = true;
      socketWentDown();
    }
    if (self.handlers.reread && !self.rereadTimer) {
      self.rereadTimer = window.setInterval(self.handlers.reread, REREAD_WHILE_DOWN);
    }
    var wait = self.delay / 2 + Math.random() * (self.delay / 2);
    self.delay = Math.min(self.delay * 2, MAX_DELAY);
    self.retryTimer = window.setTimeout(function () {
      self.connect();
    }, wait);
  };

  /* Back online, or the tab is visible again: don't wait for the backoff to run out. */
  LiveSocket.prototype.hurry = function () {
    if (this.stopped || !this.retryTimer) return;
    window.clearTimeout(this.retryTimer);
    this.delay = 1000;
    this.connect();
  };

  LiveSocket.prototype.send = function (data) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(data));
    }
  };

  LiveSocket.prototype.stop = function () {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
    window.clearInterval(this.rereadTimer);
    if (this.down) {
      this.down = false;
      socketCameBack();
    }
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
  };

  function reloadForLogin() {
    var last = 0;
    try {
      last = Number(window.sessionStorage.getItem(RELOAD_KEY) || 0);
      if (Date.now() - last < 60000) return;
      window.sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
    } catch (error) {
      return;
    }
    window.location.reload();
  }

  window.addEventListener("online", function () {
    sockets.forEach(function (socket) {
      socket.hurry();
    });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    sockets.forEach(function (socket) {
      socket.hurry();
    });
  });
  /* Leave at once, so others stop seeing us on the case. */
  window.addEventListener("pagehide", function () {
    sockets.forEach(function (socket) {
      socket.stop();
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    window.location.reload();
  });

  /* --- re-reading a server-rendered partial ------------------------------------------------- */

  /* A partial is not swapped while the user is in the middle of a form inside it (say, a lead
     counselor chosen but not yet assigned); it is re-read once they leave the form. */
  function busyIn(element) {
    var active = document.activeElement;
    return !!(active && element.contains(active) && active.closest("form"));
  }

  function Partial(element, url) {
    this.element = element;
    this.url = url;
    this.timer = null;
    this.pending = false;
    this.running = false;
    var self = this;
    element.addEventListener("focusout", function () {
      window.setTimeout(function () {
        if (self.pending && !busyIn(element)) self.refresh();
      }, 0);
    });
  }

  Partial.prototype.refresh = function () {
    var self = this;
    window.clearTimeout(self.timer);
    self.timer = window.setTimeout(function () {
      self.load();
    }, 100);
  };

  Partial.prototype.load = function () {
    var self = this;
    if (busyIn(self.element) || self.running) {
      self.pending = true;
      return;
    }
    self.pending = false;
    self.running = true;
    self.element.setAttribute("aria-busy", "true");
    window
      .fetch(self.url, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest", "HX-Request": "true" },
      })
      .then(function (response) {
        if (response.redirected || response.status === 401 || response.status === 403) {
          reloadForLogin();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        if (busyIn(self.element)) {
          self.pending = true;
          return;
        }
        self.element.innerHTML = html;
        if (window.htmx && typeof window.htmx.process === "function") window.htmx.process(self.element);
        self.element.dispatchEvent(new CustomEvent("casebook:refreshed", { bubbles: true }));
      })
      .catch(function () {
        self.pending = true;
      })
      .finally(function () {
        self.running = false;
        self.element.removeAttribute("aria-busy");
        if (self.pending && !busyIn(self.element)) self.refresh();
      });
  };

  /* --- the desk board ----------------------------------------------------------------------- */

  function startBoard() {
    var element = document.getElementById("board");
    if (!element || !element.dataset.desk || !element.dataset.columnsUrl) return;
    var columns = new Partial(element, element.dataset.columnsUrl);
    new LiveSocket("/ws/board/" + encodeURIComponent(element.dataset.desk) + "/", {
      open: function (reconnected) {
        if (reconnected) columns.refresh();
      },
      reread: function () {
        columns.refresh();
      },
      message: function (data) {
        if (data.type === "case" || data.type === "case_hidden" || data.type === "extra") {
          columns.refresh();
        }
      },
    });
  }

  /* --- the exit team's dashboard ----------------------------------------------------------- */

  function startExitDashboard() {
    var element = document.getElementById("exit-dashboard");
    if (!element || !element.dataset.liveUrl) return;
    var body = new Partial(element, element.dataset.liveUrl);
    new LiveSocket("/ws/exits/", {
      open: function (reconnected) {
        if (reconnected) body.refresh();
      },
      message: function (data) {
        if (data.type === "plan") body.refresh();
      },
    });
  }

  /* --- the case page: presence and timeline ------------------------------------------------- */

  function startCase() {
    var presence = document.getElementById("presence");
    var timelineElement = document.getElementById("timeline");
    var caseId =
      (presence && presence.dataset.case) || (timelineElement && timelineElement.dataset.case);
    if (!caseId) return;
    var timeline =
      timelineElement && timelineElement.dataset.timelineUrl
        ? new Partial(timelineElement, timelineElement.dataset.timelineUrl)
        : null;
    var editingPage = !!(presence && presence.dataset.editing === "1");
    var editing = editingPage;
    var idleTimer = null;
    var noticeShown = false;

    var socket = new LiveSocket("/ws/cases/" + encodeURIComponent(caseId) + "/", {
      open: function (reconnected) {
        if (editing) socket.send({ type: "editing", editing: true });
        if (reconnected && timeline) timeline.refresh();
      },
      reread: function () {
        if (timeline) timeline.refresh();
      },
      message: function (data) {
        if (data.type === "presence" && presence) {
          presence.textContent = data.text || "";
          presence.dataset.people = String((data.people || []).length);
        } else if (data.type === "case") {
          if (timeline) timeline.refresh();
          if (data.case && statusChanged(data.case.status)) showChanged();
        } else if (data.type === "gone") {
          socket.stop();
          if (presence) presence.textContent = labels.gone || "";
        }
      },
    });

    function statusChanged(status) {
      var badge = document.querySelector(".page-head .status");
      return !!(badge && status && !badge.classList.contains("status-" + status));
    }

    function showChanged() {
      if (noticeShown) return;
      noticeShown = true;
      var main = document.getElementById("main") || document.body;
      var notice = document.createElement("div");
      notice.className = "alert warning live-changed";
      notice.setAttribute("role", "status");
      notice.appendChild(document.createTextNode((labels.changed || "") + " "));
      var link = document.createElement("a");
      link.href = window.location.href;
      link.textContent = labels.reload || "↻";
      notice.appendChild(link);
      main.insertBefore(notice, main.firstChild);
    }

    function setEditing(value) {
      if (editingPage) value = true;
      if (value === editing) return;
      editing = value;
      socket.send({ type: "editing", editing: value });
    }

    /* Typing in a form of the case page (a close or hold form, a session) counts as editing
       until the form is sent or two minutes pass without typing. */
    var main = document.getElementById("main") || document.body;
    main.addEventListener("input", function (event) {
      if (!event.target.closest || !event.target.closest("form")) return;
      setEditing(true);
      window.clearTimeout(idleTimer);
      idleTimer = window.setTimeout(function () {
        setEditing(false);
      }, EDITING_IDLE);
    });
    main.addEventListener("submit", function () {
      window.clearTimeout(idleTimer);
      setEditing(false);
    });
  }

  /* --- a satellite's day screen ----------------------------------------------------------- */

  function startSatelliteDay() {
    var element = document.getElementById("satellite-day");
    if (!element || !element.dataset.office || !element.dataset.rowsUrl) return;
    var rows = new Partial(element, element.dataset.rowsUrl);
    new LiveSocket("/ws/satellites/" + encodeURIComponent(element.dataset.office) + "/", {
      open: function (reconnected) {
        if (reconnected) rows.refresh();
      },
      message: function (data) {
        if (data.type !== "booking" || !data.booking) return;
        if (data.booking.date === element.dataset.date) rows.refresh();
      },
    });
  }

  /* --- personal notifications --------------------------------------------------------------- */

  function startNotifications() {
    if (!document.body.dataset.user) return;
    var tray = null;

    function ensureTray() {
      if (tray) return tray;
      tray = document.createElement("div");
      tray.id = "live-notifications";
      tray.setAttribute("role", "status");
      tray.setAttribute("aria-live", "polite");
      if (labels.notifications) tray.setAttribute("aria-label", labels.notifications);
      tray.style.cssText =
        "position:fixed;right:1rem;bottom:1rem;z-index:1000;display:flex;flex-direction:column;" +
        "gap:0.4rem;max-width:24rem;";
      document.body.appendChild(tray);
      return tray;
    }

    function show(data) {
      var item = document.createElement("div");
      item.className = "message info notification";
      item.dataset.case = data.case ? String(data.case.id) : "";
      item.dataset.kind = data.kind || "";
      var href = data.url || (data.case && data.case.url);
      var text = document.createElement(href ? "a" : "span");
      if (href) text.href = href;
      text.textContent = data.text || "";
      item.appendChild(text);
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "link";
      dismiss.textContent = "×";
      dismiss.setAttribute("aria-label", labels.dismiss || "×");
      dismiss.addEventListener("click", function () {
        item.remove();
      });
      item.appendChild(document.createTextNode(" "));
      item.appendChild(dismiss);
      ensureTray().appendChild(item);
      window.setTimeout(function () {
        item.remove();
      }, 20000);
    }

    new LiveSocket("/ws/notifications/", {
      message: function (data) {
        if (data.type === "notification") show(data);
        /* the inbox in the nav (inbox.js) keeps its count from these */
        document.dispatchEvent(new CustomEvent("casebook:inbox", { detail: data }));
      },
    });
  }

  function start() {
    if (!("WebSocket" in window)) return;
    startNotifications();
    startBoard();
    startExitDashboard();
    startCase();
    startSatelliteDay();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
