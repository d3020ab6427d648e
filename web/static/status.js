// Follows a payment on the success page until it is final (the page works without it:
// the server renders the real state and a "check again" link). No inline script: the CSP
// allows scripts from 'self' only.
(function () {
  "use strict";
  var box = document.getElementById("payment-state");
  if (!box || box.getAttribute("data-final") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var delay = 1000;
  var deadline = Date.now() + 10 * 60 * 1000;

  function show(view) {
    var status = document.getElementById("payment-status");
    status.textContent = view.label;
    status.className = "status status-" + view.status;
    document.getElementById("payment-headline").textContent = view.headline;
    var reason = document.getElementById("failure-reason");
    if (view.failure_reason) {
      reason.textContent = "Reason: " + view.failure_reason;
      reason.hidden = false;
    }
    if (view.final) {
      box.setAttribute("data-final", "true");
      var waiting = document.getElementById("still-waiting");
      if (waiting) { waiting.hidden = true; }
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (view) {
        if (view) { show(view); }
        if ((!view || !view.final) && Date.now() < deadline) {
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, delay);
})();
