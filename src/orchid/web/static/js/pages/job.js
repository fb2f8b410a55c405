// One job: its state and timeline (live over jobs.follow), time left with Extend, Terminate, the
// output of every rank, and the specification it was submitted with.

import { ApiError, extendJob, retrieveJob, terminateJob } from "../api.js";
import { Field, alertBox, stateBadge, updateBadge } from "../components.js";
import { h, setText } from "../dom.js";
import { followJob } from "../follow.js";
import {
  formatClock,
  formatDateTime,
  formatDuration,
  formatWhen,
  formatSimpleDuration,
  isFinal,
  jobTitle,
  productSpecs,
  stateLabel,
  timeLeft,
} from "../format.js";
import { LogView } from "../log-view.js";
import { SessionLinks } from "../sessions.js";

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: "Final",
  failed: "Not live",
};

/** Merge a newer JobStatus into the one we have; follow messages carry no resolved product/app. */
function mergeStatus(old, fresh) {
  return {
    ...old,
    ...fresh,
    resolvedProduct: fresh.resolvedProduct ?? old?.resolvedProduct ?? null,
    resolvedApplication: fresh.resolvedApplication ?? old?.resolvedApplication ?? null,
  };
}

function parameterText(value) {
  if (!value) return "—";
  if ("value" in value) return typeof value.value === "string" ? value.value : JSON.stringify(value.value);
  if ("path" in value) return value.path;
  return JSON.stringify(value);
}

export function render({ root, params, signal, title }) {
  const id = params.id;
  title(`Job ${id}`);
  root.append(h("p", { class: "muted" }, "Loading the job…"));
  retrieveJob(id, { signal })
    .then((job) => {
      if (!signal.aborted) show({ root, job, signal, title });
    })
    .catch((error) => {
      if (signal.aborted) return;
      const notFound = error instanceof ApiError && error.status === 404;
      root.replaceChildren(
        h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: "#/jobs" }, "Jobs")),
        h("h1", {}, notFound ? `Job ${id} was not found` : `Job ${id} could not be loaded`),
        alertBox(
          "error",
          notFound ? "It does not exist, or it belongs to someone else." : (error.why ?? String(error)),
        ),
      );
    });
}

function show({ root, job, signal, title }) {
  title(jobTitle(job));
  const spec = job.specification;
  const app = job.status.resolvedApplication;
  const product = job.status.resolvedProduct;

  // ---- Head ----
  const badge = stateBadge(job.status.state);
  const connection = h(
    "span",
    { class: "connection", role: "status", "data-connection": "connecting" },
    CONNECTION_TEXT.connecting,
  );
  const announcer = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const head = h(
    "div",
    { class: "page-head job-head" },
    h(
      "div",
      {},
      h(
        "nav",
        { class: "breadcrumb", "aria-label": "Breadcrumb" },
        h("a", { href: "#/jobs" }, "Jobs"),
        h("span", { "aria-hidden": "true" }, " / "),
        h("span", {}, `#${job.id}`),
      ),
      h("h1", {}, jobTitle(job), " ", badge),
      h(
        "p",
        { class: "lead" },
        app ? `${app.metadata.title} ${app.metadata.version}` : `${spec.application.name} ${spec.application.version}`,
        " · ",
        spec.product.id,
        product ? ` (${productSpecs(product)})` : "",
        spec.replicas > 1 ? ` · ${spec.replicas} replicas` : "",
      ),
    ),
    connection,
  );

  // ---- Time and actions ----
  const countdown = h("p", { class: "countdown", role: "timer", "aria-label": "Time left" });
  const expiry = h("dd", { "data-field": "expires" });
  const started = h("dd", { "data-field": "started" });
  const actionMessage = h("div", { class: "action-message" });

  const extendButtons = [
    ["+30 min", { hours: 0, minutes: 30, seconds: 0 }],
    ["+1 h", { hours: 1, minutes: 0, seconds: 0 }],
  ].map(([label, duration]) =>
    h(
      "button",
      {
        type: "button",
        class: "button",
        "aria-label": `Extend by ${formatSimpleDuration(duration)}`,
        onclick: () => extend(duration),
      },
      label,
    ),
  );
  const customHours = new Field({
    label: "Hours",
    control: h("input", { id: "extend-hours", type: "number", min: 0, step: 1, value: "0", inputmode: "numeric" }),
  });
  const customMinutes = new Field({
    label: "Minutes",
    control: h("input", {
      id: "extend-minutes",
      type: "number",
      min: 0,
      max: 59,
      step: 1,
      value: "15",
      inputmode: "numeric",
    }),
  });
  const customForm = h(
    "form",
    { class: "custom-extend", hidden: true, novalidate: true, "aria-label": "Extend by a custom time" },
    customHours.element,
    customMinutes.element,
    h("button", { type: "submit", class: "button primary" }, "Extend"),
  );
  const customToggle = h(
    "button",
    { type: "button", class: "button", "aria-expanded": "false", "aria-controls": "custom-extend" },
    "Custom…",
  );
  customForm.id = "custom-extend";
  customToggle.addEventListener("click", () => {
    customForm.hidden = !customForm.hidden;
    customToggle.setAttribute("aria-expanded", String(!customForm.hidden));
    if (!customForm.hidden) customHours.control.focus();
  });
  customForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const hours = Number(customHours.control.value || 0);
    const minutes = Number(customMinutes.control.value || 0);
    if (
      !Number.isInteger(hours) ||
      !Number.isInteger(minutes) ||
      hours < 0 ||
      minutes < 0 ||
      hours * 60 + minutes === 0
    ) {
      customMinutes.setError("Enter a whole number of hours and minutes, more than zero in total.");
      customMinutes.control.focus();
      return;
    }
    customMinutes.clearError();
    extend({ hours, minutes, seconds: 0 });
  });
  const extendGroup = h(
    "div",
    { class: "extend", role: "group", "aria-labelledby": "extend-label" },
    h("span", { id: "extend-label", class: "group-label" }, "Extend"),
    h("div", { class: "button-row" }, extendButtons, customToggle),
    customForm,
  );

  const terminateButton = h("button", { type: "button", class: "button danger" }, "Terminate…");
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "terminate-title", "aria-describedby": "terminate-text" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "terminate-title" }, "Terminate this job?"),
      h(
        "p",
        { id: "terminate-text" },
        `${jobTitle(job)} will be stopped: its processes get SIGTERM, then SIGKILL after a grace period. Its output is kept.`,
      ),
      h(
        "div",
        { class: "button-row end" },
        h("button", { value: "cancel", class: "button", autofocus: true }, "Keep running"),
        h("button", { value: "terminate", class: "button danger" }, "Terminate job"),
      ),
    ),
  );
  terminateButton.addEventListener("click", () => {
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "terminate") terminate();
    else terminateButton.focus();
  });
  signal.addEventListener("abort", () => dialog.open && dialog.close());

  const actions = h("div", { class: "actions" }, extendGroup, h("div", { class: "terminate" }, terminateButton));
  const endedNote = h("p", { class: "muted ended-note", hidden: true }, "This job has ended.");
  const sessions = new SessionLinks(job, { signal });
  const overview = h(
    "section",
    { class: "card overview", "aria-labelledby": "overview-title" },
    h("h2", { id: "overview-title", class: "sr-only" }, "Time"),
    h("div", { class: "time-block" }, h("p", { class: "label" }, "Time left"), countdown),
    h(
      "dl",
      { class: "facts" },
      h(
        "div",
        {},
        h("dt", {}, "Created"),
        h("dd", { title: formatDateTime(job.createdAt) }, formatWhen(job.createdAt)),
      ),
      h("div", {}, h("dt", {}, "Started"), started),
      h("div", {}, h("dt", {}, "Expires"), expiry),
      h("div", {}, h("dt", {}, "Time allocation"), h("dd", {}, formatSimpleDuration(spec.timeAllocation))),
    ),
    h("div", { class: "overview-actions" }, sessions.element, actions, endedNote, actionMessage),
  );

  // ---- Output ----
  const logView = new LogView({ replicas: spec.replicas, jobId: job.id });
  const output = h(
    "section",
    { class: "card output", "aria-labelledby": "output-title" },
    h("h2", { id: "output-title" }, "Output"),
    logView.element,
  );

  // ---- Timeline and specification ----
  const timeline = h("ol", { class: "timeline" });
  const parameters = Object.entries(spec.parameters ?? {});
  const specification = h(
    "section",
    { class: "card", "aria-labelledby": "spec-title" },
    h("h2", { id: "spec-title" }, "Specification"),
    h(
      "dl",
      { class: "facts compact" },
      h("div", {}, h("dt", {}, "Application"), h("dd", {}, `${spec.application.name} ${spec.application.version}`)),
      h("div", {}, h("dt", {}, "Product"), h("dd", {}, `${spec.product.id} · ${spec.product.provider}`)),
      h("div", {}, h("dt", {}, "Replicas"), h("dd", {}, String(spec.replicas))),
      h("div", {}, h("dt", {}, "Time allocation"), h("dd", {}, formatSimpleDuration(spec.timeAllocation))),
    ),
    h("h3", {}, "Parameters"),
    parameters.length
      ? h(
          "table",
          { class: "params" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"))),
          h(
            "tbody",
            {},
            parameters.map(([name, value]) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, name),
                h("td", {}, h("code", { class: "value" }, parameterText(value))),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "None."),
    h(
      "details",
      { class: "raw" },
      h("summary", {}, "As JSON"),
      h("pre", { class: "code" }, JSON.stringify(spec, null, 2)),
    ),
  );

  root.replaceChildren(
    head,
    overview,
    output,
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { class: "card", "aria-labelledby": "timeline-title" },
        h("h2", { id: "timeline-title" }, "Timeline"),
        timeline,
      ),
      specification,
    ),
    dialog,
    announcer,
  );

  // ---- Keeping it current ----
  function renderTimeline() {
    timeline.replaceChildren(
      ...job.updates
        .filter((update) => update.state || update.status)
        .map((update) =>
          h(
            "li",
            { "data-state": update.state ?? "" },
            h(
              "time",
              { datetime: new Date(update.timestamp).toISOString(), title: formatDateTime(update.timestamp) },
              formatClock(update.timestamp),
            ),
            update.state ? stateBadge(update.state) : null,
            h("span", { class: "status-text" }, update.status ?? ""),
          ),
        ),
    );
  }

  function renderStatus() {
    const { state, expiresAt, startedAt } = job.status;
    updateBadge(badge, state);
    setText(started, startedAt ? formatWhen(startedAt) : "Not yet");
    started.title = startedAt ? formatDateTime(startedAt) : "";
    setText(
      expiry,
      expiresAt != null
        ? formatWhen(expiresAt)
        : isFinal(state)
          ? "—"
          : spec.timeAllocation
            ? "Counted from the start"
            : "Never",
    );
    expiry.title = expiresAt != null ? formatDateTime(expiresAt) : "";
    expiry.dataset.expiresAt = expiresAt ?? "";
    const active = !isFinal(state);
    const canExtend = active && state !== "CANCELING" && Boolean(spec.timeAllocation);
    extendGroup.hidden = !canExtend;
    if (!canExtend) customForm.hidden = true;
    terminateButton.hidden = !active;
    terminateButton.disabled = state === "CANCELING";
    setText(terminateButton, state === "CANCELING" ? "Terminating…" : "Terminate…");
    actions.hidden = !active;
    endedNote.hidden = active;
    sessions.update(state);
    // "Terminating…" and extension notes are about a job that no longer runs.
    if (!active) actionMessage.replaceChildren();
    tick();
  }

  function tick() {
    const left = timeLeft(job, Date.now());
    setText(countdown, job.status.expiresAt != null ? formatDuration(job.status.expiresAt - Date.now()) : left.text);
    countdown.classList.toggle("urgent", left.urgent);
  }

  function setMessage(kind, text) {
    actionMessage.replaceChildren(alertBox(kind, text));
  }

  async function extend(duration) {
    const buttons = extendGroup.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      await extendJob(job.id, duration);
      const fresh = await retrieveJob(job.id, { signal });
      job.status = mergeStatus(job.status, fresh.status);
      renderStatus();
      const when =
        job.status.expiresAt != null
          ? `The job now expires at ${formatWhen(job.status.expiresAt)}.`
          : "The job gets the extra time once it starts.";
      setMessage("success", `Extended by ${formatSimpleDuration(duration)}. ${when}`);
      customForm.hidden = true;
      customToggle.setAttribute("aria-expanded", "false");
    } catch (error) {
      if (!signal.aborted) setMessage("error", `Not extended: ${error.why ?? error}`);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  async function terminate() {
    terminateButton.disabled = true;
    try {
      await terminateJob(job.id);
      setMessage("info", "Terminating: the job stops within a few seconds.");
    } catch (error) {
      terminateButton.disabled = false;
      if (!signal.aborted) setMessage("error", `Not terminated: ${error.why ?? error}`);
    }
  }

  function onMessage(message) {
    if (message.initialJob) {
      // A (re)connection: the server sends the whole job again and replays the log from its start.
      job = { ...message.initialJob, status: mergeStatus(job.status, message.initialJob.status) };
      logView.clear();
      renderTimeline();
    } else if (message.updates?.length) {
      job.updates = [...job.updates, ...message.updates];
      renderTimeline();
    }
    if (message.newStatus) {
      const before = job.status.state;
      job.status = mergeStatus(job.status, message.newStatus);
      if (before !== job.status.state && !message.initialJob) {
        announcer.textContent = `The job is now ${stateLabel(job.status.state)}.`;
      }
    }
    renderStatus();
    for (const entry of message.log ?? []) logView.append(entry);
  }

  function onConnection(state, why) {
    connection.dataset.connection = state;
    setText(connection, CONNECTION_TEXT[state] ?? state);
    if (state === "failed") setMessage("error", `Live updates stopped: ${why}`);
  }

  renderTimeline();
  renderStatus();
  const ticker = setInterval(tick, 1000);
  signal.addEventListener("abort", () => clearInterval(ticker));
  followJob(job.id, { onMessage, onConnection, signal });
}
