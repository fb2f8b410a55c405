// Small pieces shared by the pages: state badges, alerts and labelled form fields.

import { h, uid, withCode } from "./dom.js";
import { stateLabel } from "./format.js";

/** A coloured badge for a job state; `data-state` carries the API's value. */
export function stateBadge(state) {
  return h(
    "span",
    { class: "badge", "data-state": state ?? "" },
    h("span", { class: "dot", "aria-hidden": "true" }),
    stateLabel(state),
  );
}

export function updateBadge(badge, state) {
  if (badge.dataset.state === state) return;
  badge.dataset.state = state;
  badge.lastChild.textContent = stateLabel(state);
}

/** A message box; kind is "error" | "info" | "success". Errors are announced (role=alert). */
export function alertBox(kind, ...content) {
  return h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status" }, ...content);
}

/**
 * A labelled form field: the label, the control, an optional hint, and a slot for an error that
 * is tied to the control with aria-describedby / aria-invalid when shown.
 */
export class Field {
  constructor({ label, control, hint = null, optional = false, suffix = null, className = "" }) {
    this.control = control;
    if (!control.id) control.id = uid("field");
    this.hint = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, withCode(hint)) : null;
    this.error = h("p", { class: "field-error", id: `${control.id}-error`, hidden: true });
    this.element = h(
      "div",
      { class: `field ${className}`.trim() },
      h("label", { for: control.id }, label, optional ? h("span", { class: "optional" }, " (optional)") : null),
      suffix
        ? h("div", { class: "with-suffix" }, control, h("span", { class: "suffix", "aria-hidden": "true" }, suffix))
        : control,
      this.hint,
      this.error,
    );
    this.describe();
  }

  describe() {
    const ids = [this.error.hidden ? null : this.error.id, this.hint?.id].filter(Boolean);
    if (ids.length) this.control.setAttribute("aria-describedby", ids.join(" "));
    else this.control.removeAttribute("aria-describedby");
  }

  setHint(text) {
    this.hint?.replaceChildren(...withCode(text));
  }

  setError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    this.control.setAttribute("aria-invalid", "true");
    this.element.classList.add("invalid");
    this.describe();
  }

  clearError() {
    this.error.textContent = "";
    this.error.hidden = true;
    this.control.removeAttribute("aria-invalid");
    this.element.classList.remove("invalid");
    this.describe();
  }
}

/** A fieldset of several controls (a time allocation, a choice of machine) with one hint and one
 * error slot, tied to the fieldset; the error marks each of its controls invalid. */
export class FieldGroup {
  constructor({ id, legend, content, hint = null, className = "" }) {
    this.hint = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
    this.error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    this.element = h("fieldset", { id, class: className }, h("legend", {}, legend), content, this.hint, this.error);
    this.describe();
  }

  /** The control to focus: the chosen radio button, or the first control. */
  get control() {
    return this.element.querySelector("input:checked") ?? this.controls()[0];
  }

  controls() {
    return [...this.element.querySelectorAll("input, select, textarea")];
  }

  describe() {
    const ids = [this.error.hidden ? null : this.error.id, this.hint?.id].filter(Boolean);
    if (ids.length) this.element.setAttribute("aria-describedby", ids.join(" "));
    else this.element.removeAttribute("aria-describedby");
  }

  setError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    for (const control of this.controls()) control.setAttribute("aria-invalid", "true");
    this.element.classList.add("invalid");
    this.describe();
  }

  clearError() {
    this.error.textContent = "";
    this.error.hidden = true;
    for (const control of this.controls()) control.removeAttribute("aria-invalid");
    this.element.classList.remove("invalid");
    this.describe();
  }
}
