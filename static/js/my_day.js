/* The technician view (/my-day/, templates/staff/my_day/): every update goes through one queue.
 *
 * A button builds an operation ({op, ...}) with a client-made idempotency key, appends it to the queue kept in
 * localStorage (so a closed tab or a reload loses nothing), shows it on the page at once, and sends the queue to
 * /my-day/sync/ when the browser is online: now, on the `online` event, at page load and every 30 s while
 * something waits. The server applies each key once (workforce.services.sync_apply) and answers per operation; a
 * replay after a lost answer gets the stored answer, so nothing is applied twice. Operations leave the queue only
 * once the server has answered them; a refusal (a transition the status machine forbids, say) is shown with its
 * reason. Photos and the signature are files: they are sent at once and need a connection.
 *
 * The page also registers the service worker (/my-day/sw.js, static/js/my_day_sw.js) that keeps the page and
 * these assets for offline use. Test hooks: main[data-ready], #sync-status[data-state][data-pending]. */
(function () {
  "use strict";

  var root = document.querySelector("[data-my-day]");
  if (!root) return;
  var statusLine = document.querySelector("[data-sync-status]");
  var messages = root.querySelector("[data-messages]");
  var transitions = JSON.parse(root.dataset.transitions || "{}");
  var labels = JSON.parse(root.dataset.statusLabels || "{}");
  var QUEUE = "omni-my-day-queue:" + root.dataset.technician;
  var BATCH = 50;
  var flushing = false;
  var lastError = "";

  // ---- the queue --------------------------------------------------------------------------------------------

  function load() {
    try {
      var queue = JSON.parse(window.localStorage.getItem(QUEUE) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (error) {
      return [];
    }
  }

  function store(queue) {
    window.localStorage.setItem(QUEUE, JSON.stringify(queue));
    show();
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function show(state) {
    var pending = load().length;
    state = state || (pending ? (navigator.onLine ? "pending" : "offline") : "idle");
    statusLine.dataset.state = state;
    statusLine.dataset.pending = String(pending);
    var template = statusLine.dataset["msg" + state.charAt(0).toUpperCase() + state.slice(1)] || "";
    statusLine.textContent = format(template, { n: pending, detail: lastError });
  }

  function say(text, kind) {
    var item = document.createElement("li");
    item.className = "rounded-md border px-3 py-2 text-sm " + (kind === "error"
      ? "border-red-300 bg-red-50 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
      : "border-slate-300 bg-white dark:border-slate-700 dark:bg-slate-900");
    item.textContent = text;
    messages.appendChild(item);
  }

  function enqueue(operation) {
    operation.key = newKey();
    operation.queued_at = new Date().toISOString();
    var queue = load();
    queue.push(operation);
    store(queue);
    applyLocally(operation);
    flush();
  }

  async function flush() {
    if (flushing) return;
    var queue = load();
    if (!queue.length) return show();
    if (!navigator.onLine) return show("offline");
    flushing = true;
    show("syncing");
    var batch = queue.slice(0, BATCH);
    var response;
    try {
      response = await fetch(root.dataset.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ operations: batch }),
      });
    } catch (error) {
      flushing = false;
      return show("offline"); // kept: sent again when the browser is back online
    }
    var body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = {};
    }
    if (!response.ok) {
      flushing = false;
      lastError = body.detail || "HTTP " + response.status;
      return show("error"); // kept: a signed-out session or a server error loses nothing
    }
    var answered = {};
    (body.results || []).forEach(function (result) {
      answered[result.key] = true;
      if (result.outcome !== "applied") {
        say(result.detail || result.outcome, "error");
        var job = jobOf(batch.find(function (op) { return op.key === result.key; }));
        if (job && result.work_order_status) setStatus(job, result.work_order_status);
      } else if (result.work_order_status) {
        var applied = jobOf(batch.find(function (op) { return op.key === result.key; }));
        if (applied) setStatus(applied, result.work_order_status);
      }
    });
    store(load().filter(function (op) { return !answered[op.key]; }));
    flushing = false;
    if (load().length && Object.keys(answered).length) return flush();
    show();
  }

  // ---- the page -------------------------------------------------------------------------------------------

  function jobOf(operation) {
    if (!operation) return null;
    if (operation.work_order) return root.querySelector('[data-job="' + operation.work_order + '"]');
    if (operation.item) {
      var box = root.querySelector('[data-checklist-item="' + operation.item + '"]');
      return box ? box.closest("[data-job]") : null;
    }
    return null;
  }

  function setStatus(job, status) {
    job.dataset.status = status;
    var label = job.querySelector("[data-status-label]");
    if (label) label.textContent = labels[status] || status;
    buttonsFor(job);
  }

  function buttonsFor(job) {
    var allowed = transitions[job.dataset.status] || [];
    job.querySelectorAll("[data-show-for]").forEach(function (block) {
      block.hidden = allowed.indexOf(block.dataset.showFor) === -1;
    });
    var none = job.querySelector("[data-show-none]");
    if (none) none.hidden = allowed.length > 0;
  }

  function listAdd(job, kind, text) {
    var list = job.querySelector('[data-list="' + kind + '"]');
    if (!list) return;
    var item = document.createElement("li");
    item.textContent = text + " (" + root.dataset.msgPending + ")";
    list.appendChild(item);
  }

  function applyLocally(operation) {
    var job = jobOf(operation);
    if (!job) return;
    if (operation.op === "status") setStatus(job, operation.to);
    if (operation.op === "checklist") {
      var box = job.querySelector('[data-checklist-item="' + operation.item + '"]');
      if (box) box.checked = !!operation.done;
    }
    if (operation.op === "note") listAdd(job, "note", operation.body);
    if (operation.op === "material") listAdd(job, "material", operation.quantity + " " + operation.unit + " · " + operation.item);
    if (operation.op === "time_entry") listAdd(job, "time_entry", operation.kind + " · " + operation.start);
  }

  function value(job, selector) {
    var field = job.querySelector(selector);
    return field ? field.value.trim() : "";
  }

  function isoOrEmpty(local) {
    return local ? new Date(local).toISOString() : "";
  }

  function statusOperation(job, to) {
    var operation = { op: "status", work_order: job.dataset.job, to: to };
    if (to === "en_route") operation.eta_minutes = value(job, "[data-eta-minutes]");
    if (to === "completed") {
      var open = job.querySelectorAll("[data-checklist-item]:not(:checked)").length;
      if (open) return say(root.dataset.msgChecklist, "error");
      operation.completion_notes = value(job, "[data-completion-notes]");
      if (!operation.completion_notes) return say(root.dataset.msgNotes, "error");
    }
    if (to === "cannot_complete") {
      operation.reason = value(job, "[data-reason]");
      if (!operation.reason) return say(root.dataset.msgReason, "error");
    }
    enqueue(operation);
  }

  async function upload(url, form) {
    if (!navigator.onLine) return say(root.dataset.msgOfflineFiles, "error");
    try {
      var response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": root.dataset.csrf },
        body: form,
      });
      var body = await response.json();
      if (!response.ok) {
        say(body.detail || "HTTP " + response.status, "error");
        return null;
      }
      return body;
    } catch (error) {
      say(root.dataset.msgOfflineFiles, "error");
      return null;
    }
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (where) { resolve(where.coords); },
        function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 }
      );
    });
  }

  async function photo(job, button) {
    var input = job.querySelector("[data-photo-file]");
    var file = input && input.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("photo", file);
    form.append("taken_at", new Date(file.lastModified || Date.now()).toISOString());
    var where = await position();
    if (where) {
      form.append("lat", where.latitude);
      form.append("lng", where.longitude);
    }
    var body = await upload(button.dataset.url, form);
    if (!body) return;
    var image = document.createElement("img");
    image.src = body.url;
    image.alt = body.name;
    image.className = "h-20 w-20 rounded object-cover";
    job.querySelector("[data-photos]").appendChild(image);
    input.value = "";
  }

  function signaturePad(canvas) {
    var context = canvas.getContext("2d");
    var drawing = false;
    canvas.dataset.empty = "true";
    context.lineWidth = 3;
    context.lineCap = "round";
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var at = point(event);
      context.beginPath();
      context.moveTo(at[0], at[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var at = point(event);
      context.lineTo(at[0], at[1]);
      context.stroke();
      canvas.dataset.empty = "false";
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
  }

  async function signature(job, button) {
    var canvas = job.querySelector("[data-signature-pad]");
    var form = new FormData();
    form.append("signer_name", value(job, "[data-signer-name]"));
    if (canvas.dataset.empty !== "true") {
      var blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
      form.append("signature", blob, "signature.png");
    }
    var body = await upload(button.dataset.url, form);
    if (body) job.querySelector("[data-signed]").textContent = body.signer_name + " · " + new Date(body.signed_at).toLocaleTimeString();
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var job = button.closest("[data-job]");
    var action = button.dataset.action;
    if (action === "status") return statusOperation(job, button.dataset.to);
    if (action === "note") {
      var body = value(job, "[data-note-body]");
      if (!body) return;
      job.querySelector("[data-note-body]").value = "";
      return enqueue({ op: "note", work_order: job.dataset.job, body: body });
    }
    if (action === "material") {
      var item = value(job, "[data-material-item]");
      var quantity = value(job, "[data-material-quantity]");
      if (!item || !quantity) return;
      job.querySelector("[data-material-item]").value = "";
      job.querySelector("[data-material-quantity]").value = "";
      return enqueue({ op: "material", work_order: job.dataset.job, item: item, quantity: quantity, unit: value(job, "[data-material-unit]") });
    }
    if (action === "time_entry") {
      var start = isoOrEmpty(value(job, "[data-time-start]"));
      if (!start) return;
      return enqueue({
        op: "time_entry", work_order: job.dataset.job, kind: value(job, "[data-time-kind]"),
        start: start, end: isoOrEmpty(value(job, "[data-time-end]")) || null,
      });
    }
    if (action === "photo") return photo(job, button);
    if (action === "signature") return signature(job, button);
    if (action === "signature-clear") {
      var canvas = job.querySelector("[data-signature-pad]");
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.empty = "true";
    }
  });

  root.addEventListener("change", function (event) {
    var box = event.target.closest("[data-checklist-item]");
    if (box) enqueue({ op: "checklist", item: box.dataset.checklistItem, done: box.checked });
  });

  root.querySelectorAll("[data-job]").forEach(buttonsFor);
  root.querySelectorAll("[data-signature-pad]").forEach(signaturePad);
  load().forEach(function (operation) { applyLocally(operation); }); // a page kept offline shows what waits
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { show(); });
  window.setInterval(flush, 30000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.workerUrl, { scope: root.dataset.workerUrl.replace(/[^/]*$/, "") })
      .catch(function () { /* the page works without it, only not offline */ });
  }
  show();
  flush();
  root.dataset.ready = "true";
})();
