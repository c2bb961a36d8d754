// The desk's few interactions: the reviewer's token, incident review, uploads with progress.
// Everything received from the server is written with textContent, never as HTML.
(function () {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const store = window.sessionStorage;

  function credentials() {
    const token = $("#token") ? $("#token").value : "";
    const who = $("#who") ? $("#who").value : "";
    return { token: token, who: who };
  }

  function authHeaders() {
    const c = credentials();
    return c.token ? { Authorization: "Bearer " + c.token } : {};
  }

  async function readError(resp) {
    try {
      const body = await resp.json();
      return body.error || resp.statusText;
    } catch (e) {
      return resp.status + " " + resp.statusText;
    }
  }

  // Token and reviewer name live in the tab's session only.
  const tokenForm = $("#token-form");
  if (tokenForm) {
    ["token", "who"].forEach(function (name) {
      const input = $("#" + name);
      input.value = store.getItem("newsdesk-" + name) || "";
      input.addEventListener("input", function () { store.setItem("newsdesk-" + name, input.value); });
    });
    tokenForm.addEventListener("submit", function (e) { e.preventDefault(); });
  }

  // One decision on one incident; resolves to the response body, throws the error text.
  async function decide(id, body) {
    const resp = await fetch("/api/incidents/" + encodeURIComponent(id) + "/review", {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, authHeaders()),
      body: JSON.stringify(body),
    });
    if (resp.ok) { return resp.json(); }
    let err = { error: resp.status + " " + resp.statusText, errors: [] };
    try { err = await resp.json(); } catch (e) { /* not JSON: keep the status line */ }
    throw err;
  }

  // Keys act only outside form fields, so typing a value never triggers a decision.
  function typing(e) {
    const t = e.target;
    return e.ctrlKey || e.metaKey || e.altKey ||
      (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(t.tagName) >= 0));
  }

  const NUMBERS = ["fatalities", "fatalities_low", "fatalities_high", "injured", "lat", "lon"];
  function fieldValue(el) {
    if (NUMBERS.indexOf(el.name) >= 0) { return el.value === "" ? null : Number(el.value); }
    if (el.name === "civilian_targeting") { return el.value === "" ? null : el.value === "true"; }
    return el.value || null;
  }

  const review = $("#review-form");
  if (review) {
    const initial = {};
    const skip = ["merge_into", "review_note"];
    review.querySelectorAll("[name]").forEach(function (el) { initial[el.name] = el.value; });
    async function submit(action) {
      const out = $("#review-result");
      const body = { action: action, who: credentials().who || "anonymous", changes: {},
                     note: review.elements.review_note.value || null };
      if (action === "edit") {
        review.querySelectorAll("fieldset [name]").forEach(function (el) {
          if (skip.indexOf(el.name) < 0 && el.value !== initial[el.name]) {
            body.changes[el.name] = fieldValue(el);
          }
        });
      }
      if (action === "merge") { body.merge_into = review.elements.merge_into.value; }
      review.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
      try {
        await decide(review.dataset.id, body);
        out.textContent = "saved";
        window.location.reload();
      } catch (err) {
        out.textContent = err.error;
        out.className = "error";
        (err.errors || []).forEach(function (e) {
          const el = e && e.field && review.elements[e.field];
          if (el && el.classList) { el.classList.add("invalid"); }
        });
      }
    }
    review.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", function () { submit(button.dataset.action); });
    });
    document.addEventListener("keydown", function (e) {
      if (typing(e)) { return; }
      const action = { a: "accept", x: "reject", e: "edit" }[e.key];
      if (action) { e.preventDefault(); submit(action); }
    });
  }

  // The incident list as a review queue: j/k to move, a/x to accept or reject, o to open.
  const table = $("table.incidents");
  if (table && document.body.dataset.writable === "yes") {
    const rows = Array.from(table.querySelectorAll("tr.incident-row"));
    let at = -1;
    function select(i) {
      if (!rows.length) { return; }
      if (at >= 0) { rows[at].classList.remove("selected"); }
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows[at].classList.add("selected");
      rows[at].scrollIntoView({ block: "nearest" });
    }
    async function decideRow(action) {
      if (at < 0) { select(0); }
      const row = rows[at];
      const tag = row.querySelector(".tag");
      try {
        const body = await decide(row.dataset.id, { action: action, who: credentials().who || "anonymous" });
        tag.textContent = body.incident.status;
        tag.className = "tag status-" + body.incident.status;
        select(at + 1);
      } catch (err) {
        tag.textContent = err.error;
        tag.className = "tag error";
      }
    }
    document.addEventListener("keydown", function (e) {
      if (typing(e)) { return; }
      if (e.key === "j") { select(at + 1); }
      else if (e.key === "k") { select(at - 1); }
      else if (e.key === "a") { decideRow("accept"); }
      else if (e.key === "x") { decideRow("reject"); }
      else if ((e.key === "o" || e.key === "Enter") && at >= 0) {
        window.location.href = rows[at].querySelector("a").href;
      } else if (e.key === "?" && $("#review-keys")) { $("#review-keys").scrollIntoView(); }
      else { return; }
      e.preventDefault();
    });
  }

  const upload = $("#upload-form");
  if (upload) {
    upload.addEventListener("submit", async function (e) {
      e.preventDefault();
      const box = $("#upload-progress");
      const status = $("#upload-status");
      box.hidden = false;
      // The server refuses more too, but a browser still sending when it answers may
      // report a reset connection instead of the answer: check before sending.
      if (uploadBytes(upload) > Number(upload.dataset.maxBytes)) {
        status.textContent = upload.dataset.tooLarge;
        status.className = "error";
        return;
      }
      status.textContent = "sending…";
      status.className = "";
      const resp = await fetch("/api/uploads", { method: "POST", headers: authHeaders(), body: new FormData(upload) });
      if (!resp.ok) { status.textContent = await readError(resp); status.className = "error"; return; }
      const job = (await resp.json()).job;
      poll(job.id);
    });
  }

  function uploadBytes(form) {
    // What is sent, as the server counts it: a form sends a textarea's newlines as CRLF.
    const text = form.elements.text.value.replace(/\r?\n/g, "\r\n");
    let total = new TextEncoder().encode(text).length;
    Array.from(form.elements.files.files).forEach(function (f) { total += f.size; });
    return total;
  }

  async function poll(id) {
    const resp = await fetch("/api/uploads/" + encodeURIComponent(id));
    if (!resp.ok) { $("#upload-status").textContent = await readError(resp); return; }
    const job = (await resp.json()).job;
    const bar = $("#upload-bar");
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    $("#upload-status").textContent = job.status + ": " + job.done + " of " + job.total + " report(s)"
      + (job.message ? " — " + job.message : "");
    const errors = $("#upload-errors");
    errors.replaceChildren();
    job.errors.forEach(function (err) {
      const li = document.createElement("li");
      li.textContent = err;
      errors.appendChild(li);
    });
    if (job.status === "done") {
      job.article_ids.forEach(function (aid) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/articles/" + encodeURIComponent(aid);
        a.textContent = aid;
        li.appendChild(a);
        errors.appendChild(li);
      });
    } else if (job.status !== "failed") {
      window.setTimeout(function () { poll(id); }, 500);
    }
  }

  // Alerts: the header's unread count on every page, and the notifications list, kept
  // current by the server's event stream (/api/alerts/stream); the browser reconnects by
  // itself and resumes after the last event id it saw.
  const badge = $("#unread-count");
  const alertList = $("#alerts");

  function setUnread(n) {
    badge.textContent = String(n);
    badge.classList.toggle("zero", n === 0);
    const unread = $("#alerts-unread");
    if (unread) { unread.textContent = String(n); }
  }

  function alertItem(a) {
    const li = document.createElement("li");
    li.className = "alert-item fresh" + (a.read_at ? "" : " unread");
    li.dataset.id = a.id;
    li.dataset.seq = String(a.seq);
    const link = document.createElement("a");
    link.className = "alert-summary";
    link.href = a.link;
    link.textContent = a.summary;
    const meta = document.createElement("div");
    meta.className = "meta";
    const rule = document.createElement("span");
    rule.className = "tag";
    rule.textContent = a.rule;
    meta.append(rule, " · " + a.kind + " · " + a.created_at);
    if (alertList.dataset.writable === "yes" && !a.read_at) {
      const action = document.createElement("span");
      action.className = "read-action";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "mark-read linkish";
      button.textContent = "mark read";
      action.append("· ", button);
      meta.append(" ", action);
    }
    li.append(link, meta);
    return li;
  }

  async function markRead(ids) {
    const out = $("#alerts-result");
    const resp = await fetch("/api/alerts/read", {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, authHeaders()),
      body: JSON.stringify({ ids: ids }),
    });
    if (!resp.ok) { out.textContent = await readError(resp); out.className = "error"; return; }
    const body = await resp.json();
    out.textContent = body.marked + " marked read";
    out.className = "muted";
    setUnread(body.unread);
    alertList.querySelectorAll(".alert-item").forEach(function (li) {
      if (ids === null || ids.indexOf(li.dataset.id) >= 0) {
        li.classList.remove("unread");
        const action = li.querySelector(".read-action");
        if (action) { action.remove(); }
      }
    });
  }

  if (alertList) {
    alertList.addEventListener("click", function (e) {
      if (e.target.classList.contains("mark-read")) {
        markRead([e.target.closest(".alert-item").dataset.id]);
      }
    });
    const all = $("#mark-all-read");
    if (all) { all.addEventListener("click", function () { markRead(null); }); }
  }

  if (badge && window.EventSource) {
    const after = $("#alerts-link").dataset.last;
    const stream = new EventSource("/api/alerts/stream?after=" + encodeURIComponent(after));
    stream.addEventListener("unread", function (e) { setUnread(JSON.parse(e.data).unread); });
    stream.addEventListener("alert", function (e) {
      const body = JSON.parse(e.data);
      setUnread(body.unread);
      if (alertList && !window.location.search.includes("offset=")) {
        const empty = $("#no-alerts");
        if (empty) { empty.remove(); }
        alertList.prepend(alertItem(body.alert));
        const total = $("#alerts-total");
        if (total) { total.textContent = String(parseInt(total.textContent, 10) + 1); }
      }
    });
  }
})();
