// A running job's interactive sessions on its page: "Open interface" for a WEB application, one
// link per rank. The link opens the session URL in a new tab without an opener, so the tab (where
// the application runs, on Orchid's origin) gets neither this page nor its sessionStorage.

import { openSession } from "./api.js";
import { h, setText } from "./dom.js";

export class SessionLinks {
  constructor(job, { signal }) {
    this.job = job;
    this.signal = signal;
    const app = job.status.resolvedApplication;
    this.web = app?.invocation?.applicationType === "WEB";
    const replicas = job.specification.replicas;
    this.links = Array.from({ length: replicas }, (_, rank) =>
      h(
        "a",
        {
          class: "button primary",
          target: "_blank",
          rel: "noopener noreferrer",
          "aria-disabled": "true",
          "data-rank": rank,
        },
        replicas > 1 ? `Open interface (rank ${rank})` : "Open interface",
      ),
    );
    this.message = h("p", { class: "muted session-message", hidden: true });
    this.element = h(
      "div",
      { class: "sessions", role: "group", "aria-label": "Interactive sessions", hidden: true },
      h("div", { class: "button-row" }, this.links),
      this.message,
    );
    this.requested = false;
  }

  /** Show the links while the job runs; ask for the session URLs the first time it does. */
  update(state) {
    const running = state === "RUNNING";
    this.element.hidden = !(running && this.web);
    if (!running) {
      for (const link of this.links) {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
      this.requested = false;
    } else if (this.web && !this.requested) {
      this.requested = true;
      this.request();
    }
  }

  async request() {
    try {
      for (const link of this.links) {
        const opened = await openSession(this.job.id, Number(link.dataset.rank), "WEB", { signal: this.signal });
        link.href = opened.session.redirectClientTo;
        link.removeAttribute("aria-disabled");
      }
      this.message.hidden = true;
    } catch (error) {
      if (this.signal.aborted) return;
      this.requested = false;
      this.message.hidden = false;
      setText(this.message, `The interface cannot be opened: ${error.why ?? error}`);
    }
  }
}
