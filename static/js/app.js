// Behaviour for every page. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  // The browser's time zone, for users who have not chosen one.
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) {
    var had = document.cookie.match(/(?:^|; )tz=([^;]*)/);
    if (!had || had[1] !== zone) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
      if (!had && document.querySelector("time") && !sessionStorage.getItem("tz-reloaded")) {
        sessionStorage.setItem("tz-reloaded", "1");
        location.reload();
      }
    }
  }

  // Polling: [data-poll-seconds] elements fire htmx "poll" events; slower after errors
  // (data-poll-errors), never while the tab is hidden. A swapped-in element without the
  // attribute (the server answered 286: the job is finished) ends it.
  var timers = new WeakMap();
  var skipped = new Set();

  function schedule(el) {
    clearTimeout(timers.get(el));
    var base = Number(el.dataset.pollSeconds) || 5;
    var errors = Math.min(Number(el.dataset.pollErrors) || 0, 6);
    timers.set(el, setTimeout(function () { fire(el); }, base * 1000 * Math.pow(2, errors)));
  }

  function fire(el) {
    if (!el.isConnected || !el.dataset.pollSeconds) return;
    if (document.hidden) { skipped.add(el); return; }
    htmx.trigger(el, "poll");
  }

  function scheduleAll(root) {
    (root || document).querySelectorAll("[data-poll-seconds]").forEach(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    skipped.forEach(function (el) { fire(el); });
    skipped.clear();
  });

  // A 204 answers "unchanged since the version you sent" (the element's hx-get carries it):
  // nothing is swapped, so the element stays as it is and polls again.
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail.elt;
    if (!el || !el.dataset || !el.dataset.pollSeconds) return;
    if (!event.detail.successful) {
      el.dataset.pollErrors = String((Number(el.dataset.pollErrors) || 0) + 1);
      schedule(el);
    } else if (event.detail.xhr && event.detail.xhr.status === 204) {
      schedule(el);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (target && target.matches && target.matches("[data-poll-seconds]")) schedule(target);
    else if (target && target.querySelectorAll) scheduleAll(target);
    tick();
  });

  // Back and Forward restore htmx's saved page; the filter controls then follow the URL, which
  // is the one truth about which filters produced the table.
  document.addEventListener("htmx:historyRestore", function () {
    var params = new URLSearchParams(location.search);
    document.querySelectorAll("form.filters").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (control) {
        if (!control.name || control.type === "submit") return;
        var fallback = control.dataset.default !== undefined ? control.dataset.default
          : control.tagName === "SELECT" ? control.options[0].value : "";
        control.value = params.has(control.name) ? params.get(control.name) : fallback;
      });
    });
  });

  // Live elapsed time for running jobs; "synced N s ago" counts on between refreshes (its one
  // number is the seconds since data-seconds-since, in any language).
  function tick() {
    document.querySelectorAll("[data-seconds-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.secondsSince);
      if (isNaN(since)) return;
      var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
      el.textContent = el.textContent.replace(/\d+/, String(seconds));
    });
    document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
      var seconds = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.elapsedSince)) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
      var u = (el.dataset.units || "h|min|s").split("|");
      // The same format as jobs/formatting.py human_duration: "1 h 5 min", "4 min 46 s", "9 s".
      el.textContent = h ? h + " " + u[0] + " " + m + " " + u[1]
        : m ? m + " " + u[1] + " " + s + " " + u[2] : s + " " + u[2];
    });
  }

  // The full-page "job unavailable" retries by itself, like the live fragment: it asks again
  // after data-retry-seconds (doubling after each failure, at most 5 min, never while the tab
  // is hidden) and reloads once the job page answers.
  function autoRetry(el) {
    var wait = Number(el.dataset.retrySeconds) || 10;
    var left = wait;
    var show = function () { el.textContent = el.dataset.retryText.replace("%s", left); };
    var timer = setInterval(function () {
      if (document.hidden) return;
      left -= 1;
      if (left > 0) { show(); return; }
      clearInterval(timer);
      el.textContent = el.dataset.retryBusy;
      fetch(el.dataset.retryUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.ok) { location.reload(); return; }
          el.dataset.retrySeconds = String(Math.min(wait * 2, 300));
          autoRetry(el);
        })
        .catch(function () {
          el.dataset.retrySeconds = String(Math.min(wait * 2, 300));
          autoRetry(el);
        });
    }, 1000);
    show();
  }

  // Copy buttons: data-copy="#selector".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || "✔";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Sortable tables: <table class="sortable">, <th><button data-sort="text|number">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("table.sortable th button[data-sort]");
    if (!button) return;
    var th = button.closest("th");
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var numeric = button.dataset.sort === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (row) {
      var cell = row.cells[index];
      var value = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
      return numeric ? Number(value) : value.toLowerCase();
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });

  // Failures by cause: a link to a cause opens its card; a refresh keeps the cards the reader
  // opened or closed, and the summary's sort.
  function openTarget() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === "DETAILS") target.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", openTarget);
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "failure-groups") return;
    kept = { open: {}, sort: null };
    event.detail.target.querySelectorAll("details[id]").forEach(function (el) { kept.open[el.id] = el.open; });
    var sorted = event.detail.target.querySelector("#cause-ranking th[aria-sort]");
    if (sorted) kept.sort = [Array.prototype.indexOf.call(sorted.parentNode.children, sorted), sorted.getAttribute("aria-sort")];
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!kept) return;
    Object.keys(kept.open).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.tagName === "DETAILS") el.open = kept.open[id];
    });
    if (kept.sort) {
      var th = document.querySelectorAll("#cause-ranking th")[kept.sort[0]];
      var button = th && th.querySelector("button[data-sort]");
      if (button && th.getAttribute("aria-sort") !== kept.sort[1]) {
        th.setAttribute("aria-sort", kept.sort[1] === "ascending" ? "descending" : "ascending");
        button.click();
      }
    }
    kept = null;
  });

  // The tenant form: only the chosen authentication method's fields. Without this script both
  // fieldsets show; hidden fields are still sent, so their stored values stay as they were.
  function showAuthFields(select) {
    document.querySelectorAll("fieldset[data-auth-method]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.dataset.authMethod !== select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=auth_method]")) showAuthFields(event.target);
  });

  // "/" jumps to the job lookup (the page's own one first, else the top bar's), unless the
  // reader is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var box = document.querySelector("main form.lookup input[name=q]")
      || document.querySelector("form.lookup input[name=q]");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[name=auth_method]").forEach(showAuthFields);
    document.querySelectorAll("[data-retry-url]").forEach(autoRetry);
    scheduleAll(document);
    tick();
    setInterval(tick, 1000);
  });
})();
