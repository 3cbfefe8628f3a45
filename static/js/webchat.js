/*
 * DotMac Omni web chat widget. Plain JS, no framework, one tag on any website:
 *
 *   <script src="https://<host>/static/js/webchat.js" data-channel="<channel id>" async></script>
 *
 * Optional attributes: data-identifier + data-identifier-hash (a website that knows its signed-in user: hex
 * HMAC-SHA256 of the identifier with the channel's identity secret, computed on its server), data-base (the
 * server's origin when the script is served from elsewhere), data-open="true" (open at once: the customer portal).
 *
 * It builds a launcher button and a chat panel in a shadow DOM (the page's CSS cannot reach in), styled with the
 * channel's colour; asks the pre-chat fields; keeps the visitor token in localStorage; follows replies live over
 * Server-Sent Events (EventSource reconnects; on every (re)connect the thread is fetched again, so nothing missed
 * while away is lost). Outside business hours it takes a message with an email address instead.
 * Endpoints: /hooks/webchat/<channel>/{config,session,messages,live}/ (README, "Web chat").
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[data-channel][src*="webchat.js"]');
  if (!script || !script.dataset.channel) return;
  var CHANNEL = script.dataset.channel;
  if ((window.__omniWebchat = window.__omniWebchat || {})[CHANNEL]) return; // the tag twice on one page
  window.__omniWebchat[CHANNEL] = true;

  var BASE = (script.dataset.base || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var API = BASE + "/hooks/webchat/" + encodeURIComponent(CHANNEL) + "/";
  var IDENTIFIER = script.dataset.identifier || "";
  var IDENTIFIER_HASH = script.dataset.identifierHash || "";
  var STORE = "omni-webchat:" + CHANNEL + (IDENTIFIER ? ":" + IDENTIFIER : "");
  var LABELS = {
    open: "Open chat", close: "Close chat", compose: "Write to us", send: "Send", message: "Message", start: "Start chat",
    name: "Your name", email: "Email", phone: "Phone", sending: "Sending…", failed: "Not sent — retrying",
    error: "Something went wrong. Please try again.", offlineTitle: "Leave us a message", you: "You",
    support: "Support", required: " (required)", messages: "Messages"
  };

  var state = {
    config: null, token: null, conversation: null, messages: [], pending: {}, source: null, retry: 1000,
    email: "", opened: false, refetching: false
  };

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify({ token: state.token, email: state.email })); } catch (e) { /* private mode */ }
  }

  function request(method, path, body) {
    var options = { method: method, credentials: "omit", headers: {} };
    if (body !== undefined) {
      // text/plain: a "simple" request, no CORS preflight; the server reads JSON whatever the type.
      options.headers["Content-Type"] = "text/plain;charset=UTF-8";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = {};
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
        if (!response.ok) {
          var error = new Error(data.detail || response.statusText);
          error.status = response.status;
          error.fields = data.fields || {};
          throw error;
        }
        return data;
      });
    });
  }

  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // ---- the DOM ---------------------------------------------------------------------------------------------

  var host = document.createElement("div");
  host.setAttribute("data-omni-webchat", CHANNEL);
  var root = host.attachShadow({ mode: "open" });
  var ui = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function styles(colour) {
    return [
      ":host { all: initial; }",
      "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }",
      ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px;",
      "  border-radius: 50%; border: 0; background: " + colour + "; color: #fff; cursor: pointer;",
      "  box-shadow: 0 4px 14px rgba(0,0,0,.25); display: flex; align-items: center; justify-content: center; }",
      ".launcher:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible {",
      "  outline: 3px solid #f59e0b; outline-offset: 2px; }",
      ".panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: min(370px, calc(100vw - 24px));",
      "  height: min(560px, calc(100vh - 110px)); background: #fff; color: #0f172a; border-radius: 12px;",
      "  box-shadow: 0 10px 40px rgba(0,0,0,.3); display: flex; flex-direction: column; overflow: hidden; }",
      ".panel[hidden] { display: none; }",
      ".head { background: " + colour + "; color: #fff; padding: 14px 16px; display: flex; align-items: start; gap: 8px; }",
      ".head h2 { margin: 0; font-size: 16px; font-weight: 600; }",
      ".head p { margin: 4px 0 0; font-size: 13px; opacity: .95; }",
      ".head .close { margin-left: auto; background: transparent; border: 0; color: #fff; font-size: 22px;",
      "  line-height: 1; cursor: pointer; padding: 0 4px; }",
      ".body { flex: 1; overflow-y: auto; padding: 12px; background: #f8fafc; }",
      ".log { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }",
      ".msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; font-size: 14px; line-height: 1.4;",
      "  white-space: pre-wrap; word-wrap: break-word; }",
      ".msg.inbound { align-self: flex-end; background: " + colour + "; color: #fff; border-bottom-right-radius: 4px; }",
      ".msg.outbound { align-self: flex-start; background: #e2e8f0; color: #0f172a; border-bottom-left-radius: 4px; }",
      ".msg .who { display: block; font-size: 11px; font-weight: 600; opacity: .8; margin-bottom: 2px; }",
      ".msg .note { display: block; font-size: 11px; opacity: .8; margin-top: 2px; }",
      "form { display: flex; flex-direction: column; gap: 8px; padding: 12px; border-top: 1px solid #e2e8f0; background: #fff; }",
      "label { font-size: 13px; font-weight: 500; color: #334155; display: flex; flex-direction: column; gap: 4px; }",
      "input, textarea { font-size: 14px; padding: 8px 10px; border: 1px solid #94a3b8; border-radius: 8px; color: #0f172a; background: #fff; }",
      "textarea { resize: none; min-height: 44px; max-height: 120px; }",
      ".row { display: flex; gap: 8px; align-items: end; }",
      ".row label { flex: 1; }",
      ".primary { background: " + colour + "; color: #fff; border: 0; border-radius: 8px; padding: 9px 14px;",
      "  font-size: 14px; font-weight: 600; cursor: pointer; }",
      ".primary:disabled { opacity: .6; cursor: default; }",
      ".error { color: #b91c1c; font-size: 13px; margin: 0; }",
      ".intro { font-size: 14px; margin: 0 0 4px; color: #334155; }",
      ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }"
    ].join("\n");
  }

  function build(config) {
    root.appendChild(el("style", { text: styles(config.colour) }));
    ui.launcher = el("button", {
      type: "button", className: "launcher", "aria-label": LABELS.open, "aria-expanded": "false",
      "aria-controls": "omni-chat-panel"
    });
    ui.launcher.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">' +
      '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
    ui.title = el("h2", { id: "omni-chat-title", text: config.open ? config.name : LABELS.offlineTitle });
    ui.subtitle = el("p", { text: config.open ? config.greeting : config.offline_message });
    ui.close = el("button", { type: "button", className: "close", "aria-label": LABELS.close, text: "×" });
    ui.log = el("ol", { className: "log", role: "log", "aria-live": "polite", "aria-label": LABELS.messages });
    ui.body = el("div", { className: "body" }, [ui.log]);
    ui.forms = el("div");
    ui.panel = el("section", {
      id: "omni-chat-panel", className: "panel", role: "dialog", "aria-labelledby": "omni-chat-title", hidden: ""
    }, [el("div", { className: "head" }, [el("div", {}, [ui.title, ui.subtitle]), ui.close]), ui.body, ui.forms]);
    root.appendChild(ui.launcher);
    root.appendChild(ui.panel);
    ui.launcher.addEventListener("click", function () { toggle(ui.panel.hidden); });
    ui.close.addEventListener("click", function () { toggle(false); });
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.stopPropagation(); toggle(false); }
    });
    document.body.appendChild(host);
  }

  function toggle(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.setAttribute("aria-label", open ? LABELS.close : LABELS.open);
    if (open) {
      if (!state.opened) { state.opened = true; start(); }
      focusFirst();
    } else {
      ui.launcher.focus();
    }
  }

  function focusFirst() {
    var field = ui.forms.querySelector("input, textarea");
    if (field) field.focus();
  }

  function field(name, label, type, required, value) {
    var input = el(type === "textarea" ? "textarea" : "input", {
      name: name, autocomplete: { name: "name", email: "email", phone: "tel" }[name] || "off"
    });
    if (type !== "textarea") input.type = type;
    if (required) input.required = true;
    if (value) input.value = value;
    var error = el("p", { className: "error", id: "omni-err-" + name, hidden: "" });
    input.setAttribute("aria-describedby", error.id);
    return { label: el("label", {}, [document.createTextNode(label + (required ? LABELS.required : "")), input]), input: input, error: error };
  }

  function showErrors(form, err) {
    var shown = false;
    Object.keys(err.fields || {}).forEach(function (name) {
      var box = form.querySelector("#omni-err-" + name);
      if (box) { box.textContent = err.fields[name].join(" "); box.hidden = false; shown = true; }
    });
    var general = form.querySelector(".error.general");
    if (general && !shown) { general.textContent = err.message || LABELS.error; general.hidden = false; }
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".error"), function (box) { box.hidden = true; box.textContent = ""; });
  }

  // ---- the pre-chat form -----------------------------------------------------------------------------------

  function prechatForm() {
    var form = el("form", { novalidate: "", "aria-label": LABELS.start });
    form.appendChild(el("p", { className: "intro", text: state.config.greeting }));
    var inputs = {};
    state.config.prechat.forEach(function (spec) {
      var type = spec.name === "email" ? "email" : spec.name === "phone" ? "tel" : "text";
      var f = field(spec.name, LABELS[spec.name] || spec.name, type, spec.required);
      inputs[spec.name] = f.input;
      form.appendChild(f.label);
      form.appendChild(f.error);
    });
    form.appendChild(el("p", { className: "error general", hidden: "" }));
    var submit = el("button", { type: "submit", className: "primary", text: LABELS.start });
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var data = {};
      Object.keys(inputs).forEach(function (name) { data[name] = inputs[name].value.trim(); });
      submit.disabled = true;
      request("POST", "session/", data).then(function (session) {
        if (data.email) state.email = data.email;
        begin(session);
      }).catch(function (err) {
        submit.disabled = false;
        showErrors(form, err);
      });
    });
    ui.forms.replaceChildren(form);
  }

  // ---- the conversation ------------------------------------------------------------------------------------

  function composer() {
    var form = el("form", { novalidate: "", "aria-label": LABELS.compose });
    var email = null;
    if (!state.config.open) {
      email = field("email", LABELS.email, "email", true, state.email);
      form.appendChild(email.label);
      form.appendChild(email.error);
    }
    var text = field("body", LABELS.message, "textarea", false);
    text.input.rows = 2;
    var send = el("button", { type: "submit", className: "primary", text: LABELS.send });
    form.appendChild(el("div", { className: "row" }, [text.label, send]));
    form.appendChild(text.error);
    form.appendChild(el("p", { className: "error general", hidden: "" }));
    text.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var body = text.input.value.trim();
      if (!body) return;
      if (email) state.email = email.input.value.trim();
      sendMessage(body, clientId(), form, 0);
      text.input.value = "";
      text.input.focus();
    });
    ui.forms.replaceChildren(form);
  }

  function sendMessage(body, id, form, attempt) {
    state.pending[id] = { id: "pending-" + id, client_id: id, direction: "inbound", body: body, pending: attempt ? "failed" : "sending" };
    render();
    var payload = { token: state.token, body: body, client_id: id, page: location.href };
    if (state.email) payload.email = state.email;
    request("POST", "messages/", payload).then(function (data) {
      delete state.pending[id];
      save();
      upsert(data.message);
      if (!state.conversation) { state.conversation = data.conversation; connect(); }
      render();
    }).catch(function (err) {
      if (err.status === 403) { delete state.pending[id]; reset(); return; }
      if (err.status && err.status < 500 && err.status !== 429) {
        delete state.pending[id];
        render();
        if (err.fields && err.fields.email && state.config.open) {
          // Business hours ended since the panel opened: ask for the email, keep what was written.
          state.config.open = false;
          ui.title.textContent = LABELS.offlineTitle;
          ui.subtitle.textContent = state.config.offline_message;
          composer();
          form = ui.forms.firstChild;
          focusFirst();
        }
        var box = form.querySelector("textarea");
        if (box && !box.value) box.value = body;  // refused: give the text back to correct and send again
        showErrors(form, err);
        return;
      }
      // Network error, 429 or 5xx: the same client_id again, so the server stores it once however often.
      if (attempt < 5) setTimeout(function () { sendMessage(body, id, form, attempt + 1); }, 1000 * Math.pow(2, attempt));
      else { state.pending[id].pending = "failed"; render(); }
    });
  }

  function upsert(message) {
    for (var i = 0; i < state.messages.length; i++) {
      if (state.messages[i].id === message.id) { state.messages[i] = Object.assign(state.messages[i], message); return; }
    }
    state.messages.push(message);
  }

  function render() {
    var stored = {};
    state.messages.forEach(function (m) { if (m.client_id) stored[m.client_id] = true; });
    var pending = Object.keys(state.pending).filter(function (k) { return !stored[k]; });  // arrived by refetch first
    var items = state.messages.concat(pending.map(function (k) { return state.pending[k]; }));
    var nodes = items.map(function (message) {
      var who = message.direction === "inbound" ? LABELS.you : (message.author || LABELS.support);
      var li = el("li", { className: "msg " + message.direction, "data-message": message.id }, [
        el("span", { className: "who", text: who }), document.createTextNode(message.body)
      ]);
      if (message.pending) li.appendChild(el("span", { className: "note", text: message.pending === "failed" ? LABELS.failed : LABELS.sending }));
      return li;
    });
    ui.log.replaceChildren.apply(ui.log, nodes);
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  function refetch() {
    if (!state.token || state.refetching) return;
    state.refetching = true;
    request("GET", "messages/?token=" + encodeURIComponent(state.token)).then(function (data) {
      state.refetching = false;
      state.messages = data.messages;
      if (data.conversation && !state.conversation) { state.conversation = data.conversation; connect(); }
      render();
    }).catch(function (err) {
      state.refetching = false;
      if (err.status === 403) reset();
    });
  }

  function connect() {
    if (!state.conversation || !window.EventSource) return;
    if (state.source) state.source.close();
    var base = (state.config.live_base || BASE).replace(/\/$/, "");
    var url = base + "/hooks/webchat/" + encodeURIComponent(CHANNEL) + "/live/?token=" + encodeURIComponent(state.token);
    var source = new EventSource(url);
    state.source = source;
    source.onopen = function () { state.retry = 1000; refetch(); }; // (re)connected: fetch what came meanwhile
    ["message.created", "message.status", "conversation.status"].forEach(function (name) {
      source.addEventListener(name, refetch);
    });
    source.onerror = function () {
      // EventSource retries by itself; once it gives up (CLOSED: an HTTP error) try again, slower each time.
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        setTimeout(function () { if (state.source === source) connect(); }, state.retry);
        state.retry = Math.min(state.retry * 2, 60000);
      }
    };
  }

  function begin(session) {
    state.token = session.token;
    state.conversation = session.conversation;
    save();
    composer();
    focusFirst();
    refetch();
    connect();
  }

  function reset() {
    if (state.source) { state.source.close(); state.source = null; }
    state.token = null; state.conversation = null; state.messages = []; state.pending = {};
    save();
    render();
    start();
  }

  function start() {
    var stored = load();
    state.email = stored.email || "";
    if (stored.token) { begin({ token: stored.token, conversation: null }); return; }
    if (IDENTIFIER || !state.config.prechat.length) {
      var data = IDENTIFIER ? { identifier: IDENTIFIER, identifier_hash: IDENTIFIER_HASH } : {};
      request("POST", "session/", data).then(begin).catch(function (err) {
        ui.forms.replaceChildren(el("p", { className: "error", role: "alert", text: err.message || LABELS.error }));
      });
      return;
    }
    prechatForm();
  }

  function init() {
    request("GET", "config/").then(function (config) {
      state.config = config;
      Object.keys(config.labels || {}).forEach(function (key) { LABELS[key] = config.labels[key]; }); // translated
      build(config);
      if (script.dataset.open === "true") toggle(true);
    }).catch(function () { /* no chat today: the page works without it */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
