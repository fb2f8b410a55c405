// Terminate a job: a button that asks for confirmation in a modal dialog, then calls `onTerminate()`.

import { h, setText } from "../../dom.js";
import { jobTitle } from "../../format.js";

export class TerminateControl {
  constructor(job, { onTerminate, signal }) {
    this.button = h("button", { type: "button", class: "button danger" }, "Terminate…");
    this.dialog = h(
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
    this.button.addEventListener("click", () => {
      this.dialog.returnValue = "";
      this.dialog.showModal();
    });
    this.dialog.addEventListener("close", () => {
      if (this.dialog.returnValue === "terminate") onTerminate();
      else this.button.focus();
    });
    signal.addEventListener("abort", () => this.dialog.open && this.dialog.close());
    this.element = h("div", { class: "terminate" }, this.button);
  }

  update(state, active) {
    this.button.hidden = !active;
    this.button.disabled = state === "CANCELING";
    setText(this.button, state === "CANCELING" ? "Terminating…" : "Terminate…");
  }

  /** Disable the button while a request is in flight (and re-enable it when the request failed). */
  setBusy(busy) {
    this.button.disabled = busy;
  }
}
