/* Offline reach: when the phone has no connection, a "reached" tap is kept on the phone and sent to
   /api/reaches/ once it is back online. Each form carries a submission key made when the page was
   rendered, so sending the same tap twice records it once. Without JavaScript the forms post normally. */
(function () {
  "use strict";
  var KEY = "linli.grids.outbox";
  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(q) { localStorage.setItem(KEY, JSON.stringify(q)); show(); }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function show() {
    var el = document.querySelector("[data-outbox]");
    if (!el) { return; }
    var n = load().length;
    el.hidden = n === 0;
    el.textContent = (el.getAttribute("data-template") || "%n").replace("%n", n);
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-offline-api]") || navigator.onLine) { return; }
    ev.preventDefault();
    var body = {};
    new FormData(form).forEach(function (v, k) { if (k !== "csrfmiddlewaretoken" && k !== "next") { body[k] = v; } });
    body.campaign = Number(form.getAttribute("data-campaign"));
    body.household = Number(form.getAttribute("data-household"));
    body.reached_at = new Date().toISOString();
    var q = load();
    if (!q.some(function (item) { return item.body.submission_key === body.submission_key; })) {
      q.push({ url: form.getAttribute("data-offline-api"), body: body });
      save(q);
    }
    var button = form.querySelector("button");
    if (button) { button.disabled = true; button.textContent = form.getAttribute("data-queued-label") || "…"; }
  });
  var sending = false;
  function flush() {
    var q = load();
    if (sending || !q.length || !navigator.onLine) { return; }
    sending = true;
    var item = q[0];
    fetch(item.url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(item.body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (r) {
      // Recorded (201), already recorded (200) or refused for good (4xx): either way it leaves the outbox.
      if (r.status < 500) { save(load().filter(function (i) { return i.body.submission_key !== item.body.submission_key; })); }
      sending = false;
      if (load().length) { flush(); } else { window.location.reload(); }
    }).catch(function () { sending = false; });
  }
  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", function () { show(); flush(); });
  window.linliOutbox = { flush: flush, size: function () { return load().length; } };
})();
