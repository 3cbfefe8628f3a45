/* Web push for the signed-in user: the "Enable push notifications" item of the user menu (layouts/base.html).
 *
 * The item stays hidden unless the browser can push and the server has VAPID keys (GET data-config-url answers
 * {"public_key": ""} otherwise). Enabling asks the browser's permission, registers the service worker served at
 * /notifications/push/sw.js (its scope is /notifications/push/: it controls no page, and needs none to receive
 * pushes), subscribes with the server's key and POSTs the subscription (CSRF token from the body's hx-headers).
 * Disabling DELETEs it and unsubscribes the browser. */
(function () {
  "use strict";

  var button = document.querySelector("[data-push-toggle]");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return;
  }
  var statusLine = document.querySelector("[data-push-status]");
  var workerUrl = new URL(button.dataset.workerUrl, window.location.href);
  var scope = new URL("./", workerUrl).pathname;
  var publicKey = "";

  function say(text) {
    if (statusLine) statusLine.textContent = text;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    var have = new Uint8Array(buffer);
    return have.length === bytes.length && have.every(function (value, i) { return value === bytes[i]; });
  }

  async function tell(method, body) {
    var response = await fetch(button.dataset.subscriptionUrl, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error("subscription endpoint answered " + response.status);
  }

  async function activeRegistration() {
    var registration = await navigator.serviceWorker.register(workerUrl.pathname, { scope: scope });
    if (registration.active) return registration;
    // navigator.serviceWorker.ready never resolves here (the worker controls no page): wait for this one.
    var worker = registration.installing || registration.waiting;
    await new Promise(function (resolve, reject) {
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated") resolve();
        if (worker.state === "redundant") reject(new Error("service worker failed to install"));
      });
    });
    return registration;
  }

  async function currentSubscription() {
    var registration = await navigator.serviceWorker.getRegistration(scope);
    return registration ? registration.pushManager.getSubscription() : null;
  }

  function show(subscribed) {
    button.dataset.subscribed = subscribed ? "true" : "false";
    button.textContent = subscribed ? button.dataset.labelOff : button.dataset.labelOn;
    button.hidden = false;
  }

  async function enable() {
    if ((await Notification.requestPermission()) !== "granted") {
      say(button.dataset.msgDenied);
      return;
    }
    var registration = await activeRegistration();
    var key = keyBytes(publicKey);
    var subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
      await subscription.unsubscribe(); // made with an older VAPID key: the push service would refuse us
      subscription = null;
    }
    subscription = subscription || (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
    await tell("POST", subscription.toJSON());
    show(true);
    say(button.dataset.msgOn);
  }

  async function disable() {
    var subscription = await currentSubscription();
    if (subscription) {
      await tell("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    show(false);
    say(button.dataset.msgOff);
  }

  button.addEventListener("click", async function () {
    button.disabled = true;
    try {
      await (button.dataset.subscribed === "true" ? disable() : enable());
    } catch (error) {
      console.error(error);
      say(button.dataset.msgFailed);
    } finally {
      button.disabled = false;
    }
  });

  async function start() {
    var response = await fetch(button.dataset.configUrl, { credentials: "same-origin" });
    publicKey = response.ok ? (await response.json()).public_key : "";
    if (!publicKey) return; // no VAPID keys on the server: no push at all
    var subscription = await currentSubscription();
    show(Boolean(subscription));
    // Once per session, tell the server again about this browser's subscription: another person may have used
    // this browser before, or the push service may have renewed the endpoint since.
    if (subscription && Notification.permission === "granted" && !window.sessionStorage.getItem("omni-push-synced")) {
      await tell("POST", subscription.toJSON());
      window.sessionStorage.setItem("omni-push-synced", "1");
    }
  }

  start().catch(function (error) { console.error(error); });
})();
