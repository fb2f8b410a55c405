// The job's timeline: every update that carries a state or a status text, oldest first.

import { stateBadge } from "../../components.js";
import { h } from "../../dom.js";
import { formatClock, formatDateTime } from "../../format.js";

export class Timeline {
  constructor() {
    this.list = h("ol", { class: "timeline" });
    this.element = h(
      "section",
      { class: "card", "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, "Timeline"),
      this.list,
    );
  }

  render(updates) {
    this.list.replaceChildren(...updates.filter((update) => update.state || update.status).map(timelineEntry));
  }
}

function timelineEntry(update) {
  return h(
    "li",
    { "data-state": update.state ?? "" },
    h(
      "time",
      { datetime: new Date(update.timestamp).toISOString(), title: formatDateTime(update.timestamp) },
      formatClock(update.timestamp),
    ),
    update.state ? stateBadge(update.state) : null,
    h("span", { class: "status-text" }, update.status ?? ""),
  );
}
