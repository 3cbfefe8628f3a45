/*
 * Live updates for the staff console (README, "Live updates"): Server-Sent Events from /inbox/live/ (every inbox
 * change) and /inbox/<id>/live/ (one conversation, with typing indicators), fed by Redis pub/sub.
 *
 *   <meta name="omni-live-base" content="{{ live_base }}">            (omni.context_processors: "" = this origin)
 *   <script src="{% static 'js/inbox_live.js' %}"></script>
 *
 *   const stream = OmniLive.openStream("/inbox/live/", {
 *     "message.created": (data) => { ... },       // data: {conversation, number, status, assignee, team, message}
 *     "conversation.assigned": (data) => { ... },
 *     "conversation.status": (data) => { ... },
 *     "typing": (data) => { ... },                // {conversation, user, name, state: typing|replying|idle}
 *     open: (reconnected) => { if (reconnected) refreshTheList(); },  // events missed while away: reload them
 *   });
 *   stream.close();
 *
 *   const typing = OmniLive.typingNotifier("/inbox/<id>/typing/", csrfToken);
 *   textarea.addEventListener("input", () => typing("replying"));   // at most one POST per 3 s per state
 *   form.addEventListener("submit", () => typing("idle"));
 *
 * Events: conversation.created, message.created, message.status, conversation.assigned, conversation.status,
 * conversation.labels, conversation.merged, typing. EventSource reconnects by itself after a dropped connection
 * (the server's `retry:` hint; streams also end every few minutes on purpose); when it gives up (an HTTP error,
 * e.g. the session expired) openStream tries again with a growing delay, up to a minute.
 */
(function (global) {
  "use strict";

  function liveBase() {
    if (typeof global.OMNI_LIVE_BASE === "string") return global.OMNI_LIVE_BASE;
    var meta = document.querySelector('meta[name="omni-live-base"]');
    return meta ? meta.content : "";
  }

  function liveUrl(path) {
    if (/^https?:\/\//.test(path)) return path;
    return liveBase().replace(/\/$/, "") + path;
  }

  function openStream(path, handlers, options) {
    handlers = handlers || {};
    options = options || {};
    var url = liveUrl(path);
    var crossOrigin = new URL(url, location.href).origin !== location.origin;
    var delay = 1000, opened = false, closed = false, source = null, timer = null;

    function connect() {
      source = new EventSource(url, { withCredentials: crossOrigin }); // cookies to the live process' port
      Object.keys(handlers).forEach(function (name) {
        if (name === "open" || name === "error") return;
        source.addEventListener(name, function (event) {
          var data = {};
          try { data = JSON.parse(event.data); } catch (e) { return; }
          handlers[name](data, event);
        });
      });
      source.onopen = function () {
        delay = 1000;
        if (handlers.open) handlers.open(opened);
        opened = true;
      };
      source.onerror = function (event) {
        if (handlers.error) handlers.error(event);
        if (source.readyState === EventSource.CLOSED && !closed) {
          timer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, options.maxDelay || 60000);
        }
      };
    }

    connect();
    return {
      close: function () { closed = true; clearTimeout(timer); if (source) source.close(); },
      get readyState() { return source ? source.readyState : 2; }
    };
  }

  function typingNotifier(url, csrfToken, options) {
    var interval = (options && options.interval) || 3000;
    var last = { state: null, at: 0 };
    return function (state) {
      var now = Date.now();
      if (state === last.state && now - last.at < interval) return; // throttled
      last = { state: state, at: now };
      var body = new URLSearchParams({ state: state });
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken, "X-Requested-With": "XMLHttpRequest" }
      }).catch(function () { /* a lost typing indicator is harmless */ });
    };
  }

  global.OmniLive = { openStream: openStream, typingNotifier: typingNotifier, liveUrl: liveUrl };
})(window);
