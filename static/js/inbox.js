// The staff inbox (templates/staff/inbox/): live updates over Server-Sent Events, typing indicators, and canned
// replies by `/shortcode`. Plain JS over EventSource and htmx; the stream URLs come from the page's data attributes.
//
// Streams (portals/staff/urls_inbox_live.py): events conversation.created, message.created, message.status,
// conversation.status, conversation.assigned, conversation.labels, conversation.merged (and, on one
// conversation's stream, typing {user, name, state}); data JSON with "conversation", "message", ... .
// On an event the page refetches the fragment it touches from the server (the list's table, one message, the
// header), so what is shown is always rendered by the same templates as a reload.
(function () {
  "use strict";

  var LIST_EVENTS = [
    "conversation.created", "message.created", "message.status", "conversation.status",
    "conversation.assigned", "conversation.labels", "conversation.merged", "conversation.priority",
  ];
  var HEADER_EVENTS = ["conversation.status", "conversation.assigned", "conversation.labels", "conversation.priority"];
  var TYPING_EVERY_MS = 3000; // post "still typing" at most this often
  var TYPING_SHOWN_MS = 6000; // another agent's indicator fades unless refreshed

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function parse(event) {
    try {
      return JSON.parse(event.data || "{}");
    } catch (e) {
      return {};
    }
  }

  // One EventSource, reopened by the browser after a drop; `onOpenAgain` runs after a reconnection so the page
  // can catch up on what it missed.
  function listen(root, names, handler, onOpenAgain) {
    var url = root.dataset.liveUrl;
    if (!url || !window.EventSource) return null;
    var source = new EventSource(url, { withCredentials: true });  // the live process may be on another port
    var opened = false;
    source.addEventListener("open", function () {
      if (opened && onOpenAgain) onOpenAgain();
      opened = true;
      root.dataset.liveOpen = "";  // connected: what is published from now on arrives (tests wait for it)
    });
    names.forEach(function (name) {
      source.addEventListener(name, function (event) {
        handler(name, parse(event));
      });
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
    return source;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // ---- the list ----------------------------------------------------------------------------------------------

  function initList(root) {
    var refresh = debounce(function () {
      if (!window.htmx || !document.getElementById("inbox-table")) return;
      // The current URL carries the view, filters, sort and page (hx-push-url keeps it in step).
      window.htmx.ajax("GET", window.location.href, { target: "#inbox-table", swap: "outerHTML" });
    }, 400);
    listen(root, LIST_EVENTS, refresh, refresh);
  }

  // ---- one conversation --------------------------------------------------------------------------------------

  function initConversation(root) {
    var messageUrl = root.dataset.messageUrl;
    var blank = "00000000-0000-0000-0000-000000000000";
    var me = root.dataset.userId;
    var typers = {};

    function dedupe() {
      // A reply's own response (out of band) and its live event may both add the entry: keep the last copy.
      var seen = {};
      var entries = document.querySelectorAll("#thread-messages [data-message-id]");
      for (var i = entries.length - 1; i >= 0; i--) {
        var id = entries[i].dataset.messageId;
        if (seen[id]) entries[i].remove();
        seen[id] = true;
      }
      var empty = document.querySelector("#thread-messages [data-empty]");
      if (empty && entries.length) empty.remove();
    }

    function scrollToEnd() {
      var thread = document.getElementById("conversation-thread");
      if (thread) thread.scrollTop = thread.scrollHeight;
    }

    function showMessage(id) {
      if (!id) return;
      fetch(messageUrl.replace(blank, id), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html) append(html);
        });
    }

    function append(html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var added = false;
      Array.prototype.slice.call(holder.querySelectorAll("[data-message-id]")).forEach(function (entry) {
        if (entry.parentElement !== holder) return; // only the top-level entries
        var existing = document.getElementById(entry.id);
        if (existing) {
          existing.replaceWith(entry);
        } else {
          document.getElementById("thread-messages").appendChild(entry);
          added = true;
        }
      });
      dedupe();
      if (added) scrollToEnd();
    }

    // What was written after the last entry shown (activity lines have no event of their own).
    var newer = debounce(function () {
      var entries = document.querySelectorAll("#thread-messages [data-message-id]");
      if (!entries.length) return refetch(root.dataset.threadUrl, "#conversation-thread");
      var last = entries[entries.length - 1].dataset.messageId;
      fetch(root.dataset.threadUrl + "?after=" + encodeURIComponent(last), {
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html) append(html);
        });
    }, 300);

    function refetch(url, target) {
      if (window.htmx && document.querySelector(target)) {
        window.htmx.ajax("GET", url, { target: target, swap: "outerHTML" });
      }
    }

    function renderTyping() {
      var names = Object.keys(typers).map(function (user) {
        var template = typers[user].state === "replying" ? root.dataset.msgReplying : root.dataset.msgTyping;
        return template.replace("%(name)s", typers[user].name);
      });
      document.getElementById("typing-indicator").textContent = names.join(" ");
    }

    function typing(data) {
      if (!data.user || data.user === me) return;
      clearTimeout((typers[data.user] || {}).timer);
      if (!data.state || data.state === "idle") {
        delete typers[data.user];
      } else {
        typers[data.user] = {
          name: data.name || "",
          state: data.state,
          timer: setTimeout(function () {
            delete typers[data.user];
            renderTyping();
          }, TYPING_SHOWN_MS),
        };
      }
      renderTyping();
    }

    function onEvent(name, data) {
      if (name === "typing") return typing(data);
      if (data.conversation && data.conversation !== root.dataset.conversationId) return;
      if (name === "message.created" || name === "message.status") {
        showMessage(data.message);
        if (name === "message.created" && data.user) typing({ user: data.user, state: "idle" });
      }
      if (HEADER_EVENTS.indexOf(name) >= 0) {
        refetch(root.dataset.headerUrl, "#conversation-header");
        newer();
      }
      if (name === "conversation.merged" && data.into) {
        document.getElementById("conversation-live-notice").textContent = root.dataset.msgMerged;
      }
    }

    function catchUp() {
      refetch(root.dataset.threadUrl, "#conversation-thread");
      refetch(root.dataset.headerUrl, "#conversation-header");
    }

    listen(root, LIST_EVENTS.concat(["typing"]), onEvent, catchUp);
    document.body.addEventListener("htmx:oobAfterSwap", dedupe);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      dedupe();
      if (event.detail.target && event.detail.target.id === "conversation-thread") scrollToEnd();
    });
    scrollToEnd();

    // Our own typing: "replying" in the reply box, "typing" in a note; at most every 3 s, idle on blur or send.
    var lastSent = 0;
    var lastState = "idle";
    function postTyping(state) {
      if (!root.dataset.typingUrl) return;
      var now = Date.now();
      if (state !== "idle" && state === lastState && now - lastSent < TYPING_EVERY_MS) return;
      if (state === "idle" && lastState === "idle") return;
      lastSent = now;
      lastState = state;
      var body = new URLSearchParams({ state: state });
      fetch(root.dataset.typingUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
        body: body,
      }).catch(function () {});
    }
    function modeOf(box) {
      var form = box.closest("form");
      var checked = form && form.querySelector("input[name=mode]:checked");
      return checked && checked.value === "note" ? "typing" : "replying";
    }
    document.addEventListener("input", function (event) {
      if (event.target.matches && event.target.matches("[data-reply-body]")) {
        postTyping(event.target.value.trim() ? modeOf(event.target) : "idle");
        canned.update(event.target);
      }
    });
    document.addEventListener(
      "blur",
      function (event) {
        if (event.target.matches && event.target.matches("[data-reply-body]")) postTyping("idle");
      },
      true
    );
    document.addEventListener("submit", function (event) {
      if (event.target.matches && event.target.matches("[data-composer]")) postTyping("idle");
    });
  }

  // ---- suggestions in the reply box: canned replies by `/shortcode`, colleagues by `@name` (in a note) ----------

  var canned = (function () {
    var box = null;
    var results = []; // {label, detail, insert}
    var active = -1;
    var pending = null;

    function list() {
      return document.getElementById("canned-suggestions");
    }

    function noteMode(textarea) {
      var form = textarea.closest("form");
      var checked = form && form.querySelector("input[name=mode]:checked");
      return Boolean(checked && checked.value === "note");
    }

    // The `/word` (or, in a note, `@word`) being typed just before the cursor, or null.
    function token(textarea) {
      var before = textarea.value.slice(0, textarea.selectionStart);
      var match = /(^|\s)([/@])([\w.+-]*)$/.exec(before);
      if (!match || (match[2] === "@" && !noteMode(textarea))) return null;
      return { char: match[2], word: match[3], start: before.length - match[3].length - 1 };
    }

    function hide() {
      var ul = list();
      if (ul) {
        ul.hidden = true;
        ul.innerHTML = "";
      }
      results = [];
      active = -1;
      if (box) box.removeAttribute("aria-activedescendant");
    }

    function render() {
      var ul = list();
      if (!ul) return;
      ul.innerHTML = "";
      results.forEach(function (row, index) {
        var li = document.createElement("li");
        li.id = "canned-option-" + index;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", index === active ? "true" : "false");
        li.className = "cursor-pointer px-3 py-2" + (index === active ? " bg-slate-100 dark:bg-slate-800" : "");
        var label = document.createElement("span");
        label.className = "font-medium";
        label.textContent = row.label;
        var detail = document.createElement("span");
        detail.className = "ml-2 text-slate-600 dark:text-slate-400";
        detail.textContent = row.detail;
        li.appendChild(label);
        li.appendChild(detail);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the textarea
          choose(index);
        });
        ul.appendChild(li);
      });
      ul.hidden = results.length === 0;
      if (active >= 0) box.setAttribute("aria-activedescendant", "canned-option-" + active);
    }

    function choose(index) {
      var row = results[index];
      var found = box && token(box);
      if (!row || !found) return hide();
      var end = box.selectionStart;
      box.value = box.value.slice(0, found.start) + row.insert + box.value.slice(end);
      var caret = found.start + row.insert.length;
      box.setSelectionRange(caret, caret);
      hide();
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
    }

    function rowsOf(char, data) {
      return (data.results || []).map(function (row) {
        if (char === "@") return { label: "@" + row.handle, detail: row.name, insert: "@" + row.handle + " " };
        return {
          label: "/" + row.shortcode,
          detail: (row.title ? row.title + " — " : "") + row.body.slice(0, 80),
          insert: row.body,
        };
      });
    }

    function update(textarea) {
      box = textarea;
      var found = token(textarea);
      if (!found) return hide();
      if (pending) pending.abort();
      pending = new AbortController();
      var base = found.char === "@" ? textarea.dataset.mentionUrl : textarea.dataset.cannedUrl;
      fetch(base + "?q=" + encodeURIComponent(found.word), { credentials: "same-origin", signal: pending.signal })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          results = rowsOf(found.char, data);
          active = results.length ? 0 : -1;
          render();
        })
        .catch(function () {});
    }

    document.addEventListener("keydown", function (event) {
      if (!event.target.matches || !event.target.matches("[data-reply-body]") || !results.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : results.length - 1)) % results.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        hide();
      }
    });

    return { update: update, hide: hide };
  })();

  function init() {
    var list = document.querySelector("[data-inbox-list]");
    if (list) initList(list);
    var conversation = document.querySelector("[data-inbox-conversation]");
    if (conversation) initConversation(conversation);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
