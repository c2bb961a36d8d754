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

  const review = $("#review-form");
  if (review) {
    const initial = {};
    review.querySelectorAll("[name]").forEach(function (el) { initial[el.name] = el.value; });
    review.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const out = $("#review-result");
        const action = button.dataset.action;
        const body = { action: action, who: credentials().who || "anonymous", changes: {} };
        if (action === "edit") {
          review.querySelectorAll("fieldset [name]").forEach(function (el) {
            if (el.name !== "merge_into" && el.value !== initial[el.name]) {
              body.changes[el.name] = el.name === "fatalities"
                ? (el.value === "" ? null : parseInt(el.value, 10)) : (el.value || null);
            }
          });
        }
        if (action === "merge") { body.merge_into = review.elements.merge_into.value; }
        const resp = await fetch("/api/incidents/" + encodeURIComponent(review.dataset.id) + "/review", {
          method: "POST",
          headers: Object.assign({ "Content-Type": "application/json" }, authHeaders()),
          body: JSON.stringify(body),
        });
        if (resp.ok) {
          out.textContent = "saved";
          window.location.reload();
        } else {
          out.textContent = await readError(resp);
          out.className = "error";
        }
      });
    });
  }

  const upload = $("#upload-form");
  if (upload) {
    upload.addEventListener("submit", async function (e) {
      e.preventDefault();
      const box = $("#upload-progress");
      const status = $("#upload-status");
      box.hidden = false;
      status.textContent = "sending…";
      const resp = await fetch("/api/uploads", { method: "POST", headers: authHeaders(), body: new FormData(upload) });
      if (!resp.ok) { status.textContent = await readError(resp); status.className = "error"; return; }
      const job = (await resp.json()).job;
      poll(job.id);
    });
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
})();
