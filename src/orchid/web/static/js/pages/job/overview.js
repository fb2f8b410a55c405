// The job's time card: a countdown of the time left, when it was created, started and expires, and
// the actions on a job that still runs (sessions, extend, terminate) with the outcome of the last one.

import { alertBox } from "../../components.js";
import { h, setText } from "../../dom.js";
import { formatDateTime, formatDuration, formatSimpleDuration, formatWhen, isFinal, timeLeft } from "../../format.js";

export class Overview {
  /** `sessions`, `terminals`, `extend` and `terminate` are the controls shown under the times (each
   * has `element`; `sessions` and `terminals` have `update(state)`). */
  constructor(job, { sessions, terminals, extend, terminate }) {
    this.spec = job.specification;
    this.sessions = sessions;
    this.terminals = terminals;
    this.extend = extend;
    this.terminate = terminate;
    this.countdown = h("p", { class: "countdown", role: "timer", "aria-label": "Time left" });
    this.expiry = h("dd", { "data-field": "expires" });
    this.started = h("dd", { "data-field": "started" });
    this.message = h("div", { class: "action-message" });
    this.actions = h("div", { class: "actions" }, extend.element, terminate.element);
    this.endedNote = h("p", { class: "muted ended-note", hidden: true }, "This job has ended.");
    this.element = h(
      "section",
      { class: "card overview", "aria-labelledby": "overview-title" },
      h("h2", { id: "overview-title", class: "sr-only" }, "Time"),
      h("div", { class: "time-block" }, h("p", { class: "label" }, "Time left"), this.countdown),
      h(
        "dl",
        { class: "facts" },
        h("div", {}, h("dt", {}, "Created"), h("dd", { title: formatDateTime(job.createdAt) }, formatWhen(job.createdAt))),
        h("div", {}, h("dt", {}, "Started"), this.started),
        h("div", {}, h("dt", {}, "Expires"), this.expiry),
        h("div", {}, h("dt", {}, "Time allocation"), h("dd", {}, formatSimpleDuration(this.spec.timeAllocation))),
      ),
      h("div", { class: "overview-actions" }, sessions.element, terminals.element, this.actions, this.endedNote, this.message),
    );
  }

  /** Show `job`'s current status: times, which actions apply, and the countdown. */
  update(job) {
    const { state, expiresAt, startedAt } = job.status;
    setText(this.started, startedAt ? formatWhen(startedAt) : "Not yet");
    this.started.title = startedAt ? formatDateTime(startedAt) : "";
    setText(this.expiry, this.expiryText(state, expiresAt));
    this.expiry.title = expiresAt != null ? formatDateTime(expiresAt) : "";
    this.expiry.dataset.expiresAt = expiresAt ?? "";
    const active = !isFinal(state);
    this.extend.setAvailable(active && state !== "CANCELING" && Boolean(this.spec.timeAllocation));
    this.terminate.update(state, active);
    this.actions.hidden = !active;
    this.endedNote.hidden = active;
    this.sessions.update(state);
    this.terminals.update(state);
    // "Terminating…" and extension notes are about a job that no longer runs.
    if (!active) this.message.replaceChildren();
    this.tick(job);
  }

  expiryText(state, expiresAt) {
    if (expiresAt != null) return formatWhen(expiresAt);
    if (isFinal(state)) return "—";
    return this.spec.timeAllocation ? "Counted from the start" : "Never";
  }

  /** Count down (called every second). */
  tick(job) {
    const left = timeLeft(job, Date.now());
    setText(
      this.countdown,
      job.status.expiresAt != null ? formatDuration(job.status.expiresAt - Date.now()) : left.text,
    );
    this.countdown.classList.toggle("urgent", left.urgent);
  }

  /** The outcome of an action; kind is "error" | "info" | "success". */
  setMessage(kind, text) {
    this.message.replaceChildren(alertBox(kind, text));
  }
}
