// The head of the job page: breadcrumb, title with the state badge, what runs on which product, and
// whether the page is live. The announcer (outside the head, at the end of the page) tells screen
// readers when the state changes.

import { stateBadge, updateBadge } from "../../components.js";
import { h, setText } from "../../dom.js";
import { jobTitle, productSpecs, stateLabel } from "../../format.js";

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: "Final",
  failed: "Not live",
};

export class JobHead {
  constructor(job) {
    const spec = job.specification;
    const app = job.status.resolvedApplication;
    const product = job.status.resolvedProduct;
    this.badge = stateBadge(job.status.state);
    this.connection = h(
      "span",
      { class: "connection", role: "status", "data-connection": "connecting" },
      CONNECTION_TEXT.connecting,
    );
    this.announcer = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    this.element = h(
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
        h("h1", {}, jobTitle(job), " ", this.badge),
        h(
          "p",
          { class: "lead" },
          app
            ? `${app.metadata.title} ${app.metadata.version}`
            : `${spec.application.name} ${spec.application.version}`,
          " · ",
          spec.product.id,
          product ? ` (${productSpecs(product)})` : "",
          spec.replicas > 1 ? ` · ${spec.replicas} replicas` : "",
        ),
      ),
      this.connection,
    );
  }

  update(state) {
    updateBadge(this.badge, state);
  }

  /** Say (to screen readers) that the job moved to `state`. */
  announce(state) {
    this.announcer.textContent = `The job is now ${stateLabel(state)}.`;
  }

  /** Show the state of the follow connection ("connecting", "live", "reconnecting", "ended", "failed"). */
  setConnection(state) {
    this.connection.dataset.connection = state;
    setText(this.connection, CONNECTION_TEXT[state] ?? state);
  }
}
