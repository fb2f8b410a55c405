// Extend a job's time: two quick buttons and a custom hours/minutes form. `onExtend(duration)` does
// the call; the controls stay disabled while it runs.

import { Field } from "../../components.js";
import { h } from "../../dom.js";
import { formatSimpleDuration } from "../../format.js";

const QUICK = [
  ["+30 min", { hours: 0, minutes: 30, seconds: 0 }],
  ["+1 h", { hours: 1, minutes: 0, seconds: 0 }],
];

export class ExtendControls {
  constructor({ onExtend }) {
    this.onExtend = onExtend;
    const quick = QUICK.map(([label, duration]) =>
      h(
        "button",
        {
          type: "button",
          class: "button",
          "aria-label": `Extend by ${formatSimpleDuration(duration)}`,
          onclick: () => this.extend(duration),
        },
        label,
      ),
    );
    this.hours = new Field({
      label: "Hours",
      control: h("input", { id: "extend-hours", type: "number", min: 0, step: 1, value: "0", inputmode: "numeric" }),
    });
    this.minutes = new Field({
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
    this.form = h(
      "form",
      { class: "custom-extend", hidden: true, novalidate: true, "aria-label": "Extend by a custom time" },
      this.hours.element,
      this.minutes.element,
      h("button", { type: "submit", class: "button primary" }, "Extend"),
    );
    this.form.id = "custom-extend";
    this.toggle = h(
      "button",
      { type: "button", class: "button", "aria-expanded": "false", "aria-controls": "custom-extend" },
      "Custom…",
    );
    this.toggle.addEventListener("click", () => this.setCustomOpen(this.form.hidden));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitCustom();
    });
    this.element = h(
      "div",
      { class: "extend", role: "group", "aria-labelledby": "extend-label" },
      h("span", { id: "extend-label", class: "group-label" }, "Extend"),
      h("div", { class: "button-row" }, quick, this.toggle),
      this.form,
    );
  }

  /** Show the controls only when the job can be extended. */
  setAvailable(available) {
    this.element.hidden = !available;
    if (!available) this.form.hidden = true;
  }

  setCustomOpen(open) {
    this.form.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) this.hours.control.focus();
  }

  submitCustom() {
    const hours = Number(this.hours.control.value || 0);
    const minutes = Number(this.minutes.control.value || 0);
    if (!Number.isInteger(hours) || !Number.isInteger(minutes) || hours < 0 || minutes < 0 || hours * 60 + minutes === 0) {
      this.minutes.setError("Enter a whole number of hours and minutes, more than zero in total.");
      this.minutes.control.focus();
      return;
    }
    this.minutes.clearError();
    this.extend({ hours, minutes, seconds: 0 });
  }

  async extend(duration) {
    const buttons = this.element.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      if (await this.onExtend(duration)) {
        this.form.hidden = true;
        this.toggle.setAttribute("aria-expanded", "false");
      }
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }
}
