// Every portal: a request made by htmx that fails says so, instead of leaving the page as it was with no word.
// The messages are the layout's (translated) data attributes on #request-error.
(function () {
  "use strict";
  var box = document.getElementById("request-error");
  if (!box) return;
  var text = box.querySelector("[data-text]");

  function show(message) {
    text.textContent = message;
    box.hidden = false;
  }

  function message(name) {
    return box.getAttribute("data-msg-" + name);
  }

  function messageFor(status) {
    if ([401, 403, 413, 429].indexOf(status) >= 0) return message(String(status));
    if (status === 404 || status === 410) return message("404");
    if (status >= 500) return message("5xx");
    return message("other").replace("%(status)s", String(status));
  }

  document.body.addEventListener("htmx:responseError", function (event) {
    show(messageFor(event.detail.xhr.status));
  });
  document.body.addEventListener("htmx:sendError", function () {
    show(message("offline"));
  });
  document.body.addEventListener("htmx:timeout", function () {
    show(message("offline"));
  });
  // The next request that succeeds clears the message.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) box.hidden = true;
  });
  box.querySelector("[data-dismiss]").addEventListener("click", function () {
    box.hidden = true;
  });
})();
