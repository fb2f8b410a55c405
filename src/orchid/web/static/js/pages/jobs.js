// The user's jobs, newest first, with filters and paging. States refresh live (a cheap browse call
// every two seconds while the tab is visible); time left counts down every second.

import { ApiError, browseApplications, browseJobs } from "../api.js";
import { alertBox, stateBadge, updateBadge } from "../components.js";
import { h, setText } from "../dom.js";
import { STATES, formatDateTime, formatRelative, jobTitle, stateLabel, timeLeft } from "../format.js";
import { link, replaceLink } from "../router.js";

const PAGE_SIZE = 20;
const REFRESH_MS = 2000;
const COLUMNS = ["Job", "Application", "Product", "State", "Created", "Time left"];

function select(id, label, options, value) {
  return h(
    "div",
    { class: "field inline" },
    h("label", { for: id }, label),
    h(
      "select",
      { id },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
    ),
  );
}

export function render({ root, query, signal, title }) {
  title("Jobs");
  const filters = { state: query.get("state") ?? "", application: query.get("application") ?? "" };
  if (!STATES.includes(filters.state)) filters.state = "";
  const cursors = [null]; // cursors[i] is the `next` that opens page i
  let pageIndex = 0;
  let lastPage = null;
  let appTitles = new Map();
  const rows = new Map(); // job id -> {row, job, badge, left}
  let refreshTimer = null;
  let generation = 0; // a response for older filters or pages is dropped

  const stateFilter = select(
    "filter-state",
    "State",
    [["", "All states"], ...STATES.map((s) => [s, stateLabel(s)])],
    filters.state,
  );
  const appFilter = select("filter-application", "Application", [["", "All applications"]], filters.application);
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "jobs-table" },
    h("caption", { class: "sr-only" }, "Your jobs, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        COLUMNS.map((name) => h("th", { scope: "col" }, name)),
      ),
    ),
    tbody,
  );
  const problem = h("div", { class: "problem" });
  const announcer = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const previous = h("button", { type: "button", class: "button", disabled: true }, "← Newer");
  const next = h("button", { type: "button", class: "button", disabled: true }, "Older →");
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" }, "Page 1");

  root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Jobs"), h("p", { class: "lead" }, "Your jobs, newest first. States update live.")),
      h("a", { class: "button primary", href: "#/new" }, "+ New job"),
    ),
    h(
      "form",
      { class: "filters", role: "search", "aria-label": "Filter jobs", onsubmit: (e) => e.preventDefault() },
      stateFilter,
      appFilter,
    ),
    problem,
    h("div", { class: "card table-card" }, table),
    h("nav", { class: "pager", "aria-label": "Pages of jobs" }, previous, pageLabel, next),
    announcer,
  );

  const appName = (job) => appTitles.get(job.specification.application.name) ?? job.specification.application.name;

  function cell(label, ...content) {
    return h("td", { "data-label": label }, h("span", { class: "cell" }, ...content));
  }

  function createRow(job) {
    const badge = stateBadge(job.status.state);
    const left = h("span", { class: "time-left" });
    const created = h("time", {
      datetime: new Date(job.createdAt).toISOString(),
      title: formatDateTime(job.createdAt),
    });
    const row = h(
      "tr",
      { "data-job-id": job.id },
      cell(
        "Job",
        h("a", { class: "job-link", href: `#/jobs/${encodeURIComponent(job.id)}` }, jobTitle(job)),
        job.specification.name ? h("span", { class: "muted job-id" }, ` #${job.id}`) : null,
      ),
      cell("Application", appName(job), h("span", { class: "muted" }, ` ${job.specification.application.version}`)),
      cell("Product", job.specification.product.id),
      cell("State", badge),
      cell("Created", created),
      cell("Time left", left),
    );
    return { row, job, badge, left, created };
  }

  function tick() {
    const now = Date.now();
    for (const entry of rows.values()) {
      const left = timeLeft(entry.job, now);
      setText(entry.left, left.text);
      entry.left.classList.toggle("urgent", left.urgent);
      setText(entry.created, formatRelative(entry.job.createdAt, now));
    }
  }

  function show(page) {
    const changed = [];
    const seen = new Set();
    const ordered = page.items.map((job) => {
      seen.add(job.id);
      let entry = rows.get(job.id);
      if (entry) {
        if (entry.job.status.state !== job.status.state) changed.push(job);
        entry.job = job;
        updateBadge(entry.badge, job.status.state);
      } else {
        entry = createRow(job);
        rows.set(job.id, entry);
      }
      return entry.row;
    });
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    // Rebuild only when the rows themselves changed, so a focused link keeps its focus.
    const current = [...tbody.children];
    const same = current.length === ordered.length && current.every((row, i) => row === ordered[i]);
    if (!same) {
      if (ordered.length) tbody.replaceChildren(...ordered);
      else tbody.replaceChildren(emptyRow());
    }
    tick();
    if (changed.length) {
      announcer.textContent = changed
        .map((job) => `${jobTitle(job)} is now ${stateLabel(job.status.state)}.`)
        .join(" ");
    }
    lastPage = page;
    previous.disabled = pageIndex === 0;
    next.disabled = !page.next;
    setText(pageLabel, `Page ${pageIndex + 1}`);
  }

  function emptyRow() {
    const filtered = filters.state || filters.application;
    return h(
      "tr",
      { class: "empty" },
      h(
        "td",
        { colspan: COLUMNS.length },
        filtered
          ? "No jobs match these filters."
          : h("span", {}, "No jobs yet. ", h("a", { href: "#/new" }, "Start your first job"), "."),
      ),
    );
  }

  async function load() {
    clearTimeout(refreshTimer);
    const mine = ++generation;
    try {
      const page = await browseJobs({ itemsPerPage: PAGE_SIZE, next: cursors[pageIndex], ...filters }, { signal });
      if (mine !== generation || signal.aborted) return;
      problem.replaceChildren();
      show(page);
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      problem.replaceChildren(alertBox("error", error instanceof ApiError ? error.why : String(error)));
    }
    scheduleRefresh();
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    if (!signal.aborted) refreshTimer = setTimeout(() => (document.hidden ? scheduleRefresh() : load()), REFRESH_MS);
  }

  function applyFilters() {
    filters.state = stateFilter.querySelector("select").value;
    filters.application = appFilter.querySelector("select").value;
    cursors.length = 1;
    pageIndex = 0;
    replaceLink(link("/jobs", filters));
    load();
  }

  stateFilter.querySelector("select").addEventListener("change", applyFilters);
  appFilter.querySelector("select").addEventListener("change", applyFilters);
  previous.addEventListener("click", () => {
    if (pageIndex === 0) return;
    pageIndex -= 1;
    load();
  });
  next.addEventListener("click", () => {
    if (!lastPage?.next) return;
    cursors[pageIndex + 1] = lastPage.next;
    pageIndex += 1;
    load();
  });

  const ticker = setInterval(tick, 1000);
  signal.addEventListener("abort", () => {
    clearInterval(ticker);
    clearTimeout(refreshTimer);
  });
  document.addEventListener("visibilitychange", () => !document.hidden && !signal.aborted && load(), { signal });

  tbody.append(h("tr", { class: "empty" }, h("td", { colspan: COLUMNS.length }, "Loading jobs…")));
  load();
  browseApplications({ signal })
    .then((apps) => {
      appTitles = new Map(apps.map((app) => [app.metadata.name, app.metadata.title || app.metadata.name]));
      const choice = appFilter.querySelector("select");
      for (const [name, appTitle] of appTitles)
        choice.append(h("option", { value: name, selected: name === filters.application }, appTitle));
      for (const entry of rows.values()) entry.row.children[1].firstChild.firstChild.textContent = appName(entry.job);
    })
    .catch(() => {
      // The filter keeps "All applications"; the table shows the names the jobs carry.
    });
}
