// The Files page's dialogs: a name to give (new folder, rename) and a confirmation (delete).
// Each resolves only after its action succeeded; the server's `why` stays in the dialog otherwise.

import { ApiError } from "./api.js";
import { Field } from "./components.js";
import { h, uid } from "./dom.js";

function modal(titleText, ...content) {
  const id = uid("dialog");
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, titleText),
    ...content,
  );
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  return dialog;
}

/**
 * Ask for a name and run `action(name)`; the dialog closes when it succeeds and shows the
 * server's `why` under the field when it fails. Resolves to the name, or null when cancelled.
 */
export function askName({ title, label, initial = "", submitLabel, action }) {
  return new Promise((resolve) => {
    const control = h("input", { type: "text", value: initial, autocomplete: "off", spellcheck: "false", required: true });
    const field = new Field({ label, control });
    const submit = h("button", { type: "submit", class: "button primary" }, submitLabel);
    const form = h(
      "form",
      { novalidate: true },
      field.element,
      h(
        "div",
        { class: "button-row end" },
        h("button", { type: "button", class: "button", onclick: () => dialog.close() }, "Cancel"),
        submit,
      ),
    );
    const dialog = modal(title, form);
    let done = null;
    dialog.addEventListener("close", () => resolve(done));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = control.value.trim();
      if (!name) {
        field.setError("Enter a name.");
        control.focus();
        return;
      }
      submit.disabled = true;
      try {
        await action(name);
        done = name;
        dialog.close();
      } catch (error) {
        field.setError(error instanceof ApiError ? error.why : String(error));
        control.focus();
      } finally {
        submit.disabled = false;
      }
    });
    dialog.showModal();
    control.focus();
    // Select the name without its extension, as file managers do.
    const dot = initial.lastIndexOf(".");
    control.setSelectionRange(0, dot > 0 ? dot : initial.length);
  });
}

/** Ask before `action()`; resolves to true once it succeeded, false when cancelled. */
export function confirmAction({ title, text, confirmLabel, action }) {
  return new Promise((resolve) => {
    const problem = h("div", { class: "dialog-problem" });
    const confirm = h("button", { type: "button", class: "button danger" }, confirmLabel);
    const keep = h("button", { type: "button", class: "button", onclick: () => dialog.close() }, "Cancel");
    const dialog = modal(title, h("p", {}, text), problem, h("div", { class: "button-row end" }, keep, confirm));
    let done = false;
    dialog.addEventListener("close", () => resolve(done));
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        await action();
        done = true;
        dialog.close();
      } catch (error) {
        problem.replaceChildren(
          h("p", { class: "alert error", role: "alert" }, error instanceof ApiError ? error.why : String(error)),
        );
      } finally {
        confirm.disabled = false;
      }
    });
    dialog.showModal();
    keep.focus();
  });
}
