// Flow runs pages: live refresh of the list, and the live state, charts and log tail of
// one flow run. Plain JavaScript, no build step. Log text is only ever set through
// textContent, never parsed as HTML.
"use strict";
(function () {
  const LIST_POLL_MS = 2500;
  const RUN_POLL_MS = 2000;
  const FINAL = new Set(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);
  const RETRYABLE = new Set(["FAILED", "CRASHED", "CANCELLED"]);
  const LEVELS = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL" };

  // The list: fetch the <tbody> for the same query every few seconds and swap it in.
  // The partial is rendered (and escaped) by the server's templates.
  function pollRows() {
    const body = document.querySelector("tbody[data-poll-rows]");
    if (!body) return;
    const src = body.dataset.pollRows;
    let last = null;
    async function tick() {
      try {
        const response = await fetch(src, { credentials: "same-origin" });
        if (response.ok) {
          const html = await response.text();
          if (html !== last) {
            last = html;
            body.innerHTML = html;
          }
        }
      } catch (err) {
        // the server restarting is not an error worth showing; try again
      }
      setTimeout(tick, LIST_POLL_MS);
    }
    setTimeout(tick, LIST_POLL_MS);
  }

  function two(n) { return String(n).padStart(2, "0"); }

  function clock(ts) {
    const d = new Date(ts * 1000);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.` +
      String(d.getMilliseconds()).padStart(3, "0");
  }

  function cell(tr, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function runPage() {
    const head = document.getElementById("run");
    const logs = document.getElementById("logs");
    if (!head || !logs) return;
    const id = head.dataset.runId;
    let state = head.dataset.state;
    let final = head.dataset.final === "true";
    // Just after Retry, the run is still final until the retry process claims it:
    // keep following it until its run count goes up (or for a minute at most).
    const runCount = Number(head.dataset.runCount) || 0;
    let awaitRetry = head.dataset.awaitRetry === "true";
    const awaitUntil = Date.now() + 60000;
    if (awaitRetry) final = false;
    const badge = document.getElementById("run-state");
    const charts = document.getElementById("run-charts");
    const status = document.getElementById("logs-status");
    const select = document.getElementById("log-level");
    const namesEl = document.getElementById("task-names");
    const names = namesEl ? JSON.parse(namesEl.textContent || "{}") : {};
    const page = Number(logs.dataset.page) || 500;
    let offset = Number(logs.dataset.offset) || 0;
    let minLevel = Number(logs.dataset.minLevel) || 0;
    let generation = 0;
    let ticks = 0;

    function appendLines(lines) {
      const body = logs.tBodies[0];
      for (const line of lines) {
        const level = LEVELS[line.level] || String(line.level);
        const tr = document.createElement("tr");
        tr.className = "log lvl-" + level;
        cell(tr, clock(line.timestamp), "mono");
        cell(tr, level, "level");
        const task = cell(tr, "");
        if (line.task_run_id) {
          const a = document.createElement("a");
          a.href = "/task-runs/" + encodeURIComponent(line.task_run_id);
          a.textContent = names[line.task_run_id] || line.task_run_id.slice(0, 8);
          task.appendChild(a);
        }
        cell(tr, line.message, "msg");
        body.appendChild(tr);
      }
      if (status && logs.tBodies[0].rows.length) status.textContent = "";
    }

    // One fetch of the log tail at a time: the poller, the level filter and the first
    // catch-up all queue here, so no line is fetched (and shown) twice.
    let queue = Promise.resolve();
    function fetchLogs() {
      queue = queue.then(pullLogs).catch(() => {});
      return queue;
    }

    async function pullLogs() {
      const mine = generation;
      for (;;) {
        const url = `/api/flow_runs/${encodeURIComponent(id)}/logs?offset=${offset}` +
          `&min_level=${minLevel}&limit=${page}`;
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok || mine !== generation) return;
        const lines = await response.json();
        if (mine !== generation) return;
        appendLines(lines);
        offset += lines.length;
        if (lines.length < page) return;
      }
    }

    async function refreshCharts() {
      if (!charts) return;
      const response = await fetch(charts.dataset.src, { credentials: "same-origin" });
      if (response.ok) charts.innerHTML = await response.text();
    }

    async function pollState() {
      const response = await fetch(`/api/flow_runs/${encodeURIComponent(id)}`, {
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const run = await response.json();
      const changed = run.state_type !== state || badge.textContent !== run.state_name ||
        run.run_count !== Number(head.dataset.runCount);
      state = run.state_type;
      if (awaitRetry && (run.run_count > runCount || Date.now() > awaitUntil)) awaitRetry = false;
      final = FINAL.has(state) && !awaitRetry;
      if (changed) {
        badge.textContent = run.state_name;
        badge.className = "badge s-" + run.state_type;
        head.dataset.state = state;
        head.dataset.runCount = String(run.run_count);
        const message = document.getElementById("run-message");
        if (message) message.textContent = run.state_message || "";
        const retry = document.getElementById("retry-form");
        if (retry && !RETRYABLE.has(state)) retry.remove();
        head.dataset.final = final ? "true" : "false";
      }
      if (final) {
        const cancel = document.getElementById("cancel-form");
        if (cancel) cancel.remove();
      }
      if (changed || (!final && ticks % 3 === 0)) await refreshCharts();
    }

    async function tick() {
      ticks += 1;
      try {
        await pollState();
        await fetchLogs();
      } catch (err) {
        // keep polling through a server restart
      }
      if (!final) setTimeout(tick, RUN_POLL_MS);
    }

    if (select) {
      select.addEventListener("change", () => {
        generation += 1;
        minLevel = Number(select.value) || 0;
        offset = 0;
        logs.tBodies[0].replaceChildren();
        if (status) status.textContent = "";
        const url = new URL(window.location.href);
        if (minLevel) url.searchParams.set("log_level", String(minLevel));
        else url.searchParams.delete("log_level");
        window.history.replaceState(null, "", url);
        fetchLogs();
      });
    }
    // Lines past the first page were not rendered with the page: fetch them now,
    // then follow the run until it is final (and once more after, for its last lines).
    if (offset >= page) fetchLogs();
    if (!final) setTimeout(tick, RUN_POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    pollRows();
    runPage();
  });
})();
