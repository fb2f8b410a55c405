// A form control for each kind of application parameter, and the AppParameterValue it produces.
//
// The server is the judge of values (ranges, options, required ones); here only what the browser
// cannot even express is caught (a number field holding "1e" or "2.5" for an integer).

import { Field } from "./components.js";
import { h } from "./dom.js";
import { pickPath } from "./file-picker.js";

/** The plain value of a parameter's default, whether written as {type, value} or bare. */
function defaultOf(parameter) {
  const value = parameter.defaultValue;
  if (value && typeof value === "object" && "value" in value) return value.value;
  if (value && typeof value === "object" && "path" in value) return value.path;
  return value ?? null;
}

function rangeHint(parameter) {
  const { min, max } = parameter;
  if (min != null && max != null) return `Between ${min} and ${max}.`;
  if (min != null) return `At least ${min}.`;
  if (max != null) return `At most ${max}.`;
  return null;
}

function hintFor(parameter, extra) {
  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);
  const parts = [parameter.description, extra].filter(Boolean).map(sentence);
  return parts.length ? parts.join(" ") : null;
}

function numberControl(parameter, id, step) {
  const initial = defaultOf(parameter);
  return h("input", {
    id,
    name: parameter.name,
    type: "number",
    inputmode: step === "1" ? "numeric" : "decimal",
    step: parameter.step ?? step,
    min: parameter.min,
    max: parameter.max,
    required: !parameter.optional,
    value: initial == null ? "" : String(initial),
  });
}

const KINDS = {
  text(parameter, id) {
    const initial = defaultOf(parameter);
    const control = h("input", {
      id,
      name: parameter.name,
      type: "text",
      required: !parameter.optional,
      value: initial ?? "",
    });
    return { control, read: () => (control.value === "" ? null : { type: "text", value: control.value }) };
  },
  textarea(parameter, id) {
    const initial = defaultOf(parameter);
    const control = h("textarea", {
      id,
      name: parameter.name,
      rows: 6,
      spellcheck: "false",
      class: "code",
      required: !parameter.optional,
      value: initial ?? "",
    });
    return { control, read: () => (control.value === "" ? null : { type: "textarea", value: control.value }) };
  },
  integer(parameter, id) {
    const control = numberControl(parameter, id, "1");
    return {
      control,
      hint: rangeHint(parameter),
      read() {
        if (control.validity.badInput) throw new Error("Enter a whole number.");
        if (control.value === "") return null;
        const number = Number(control.value);
        if (!Number.isInteger(number)) throw new Error("Enter a whole number.");
        return { type: "integer", value: number };
      },
    };
  },
  floating_point(parameter, id) {
    const control = numberControl(parameter, id, "any");
    return {
      control,
      hint: rangeHint(parameter),
      read() {
        if (control.validity.badInput) throw new Error("Enter a number.");
        if (control.value === "") return null;
        return { type: "floating_point", value: Number(control.value) };
      },
    };
  },
  boolean(parameter, id) {
    // A select, not a checkbox: an optional boolean has a third answer, "leave it to the default".
    const initial = defaultOf(parameter);
    const options = [
      parameter.optional && initial == null ? ["", "Not set"] : null,
      ["true", "Yes"],
      ["false", "No"],
    ].filter(Boolean);
    const chosen = initial == null ? (parameter.optional ? "" : "false") : String(Boolean(initial));
    const control = h(
      "select",
      { id, name: parameter.name },
      options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)),
    );
    return {
      control,
      read: () => (control.value === "" ? null : { type: "boolean", value: control.value === "true" }),
    };
  },
  enumeration(parameter, id) {
    const initial = defaultOf(parameter);
    const control = h(
      "select",
      { id, name: parameter.name, required: !parameter.optional },
      h("option", { value: "", selected: initial == null }, parameter.optional ? "Not set" : "Choose…"),
      (parameter.options ?? []).map((option) =>
        h("option", { value: option.value, selected: option.value === initial }, option.name),
      ),
    );
    return { control, read: () => (control.value === "" ? null : { type: "text", value: control.value }) };
  },
  input_file(parameter, id) {
    return pathControl(parameter, id, "file", "A file on your drives; the job sees it in /work.");
  },
  input_directory(parameter, id) {
    return pathControl(parameter, id, "folder", "A folder on your drives; the job sees it in /work.");
  },
};

/** A path typed in, or chosen with "Browse…" (the file picker); the job sees it at /work/<name>. */
function pathControl(parameter, id, kind, hint) {
  const initial = defaultOf(parameter);
  const control = h("input", {
    id,
    name: parameter.name,
    type: "text",
    required: !parameter.optional,
    value: initial ?? "",
    spellcheck: "false",
    placeholder: kind === "file" ? "/<drive>/folder/file" : "/<drive>/folder",
  });
  const browse = h(
    "button",
    { type: "button", class: "button", "aria-label": `Browse for ${parameter.title || parameter.name}` },
    "Browse…",
  );
  browse.addEventListener("click", async () => {
    const title = `Choose a ${kind} for ${parameter.title || parameter.name}`;
    const path = await pickPath({ kind, title, start: control.value || null });
    if (path) control.value = path;
    control.focus();
  });
  return {
    control,
    hint,
    after: browse,
    read: () => (control.value === "" ? null : { type: "file", path: control.value, readOnly: false }),
  };
}

/**
 * The field for one parameter: {field: Field, read()} where read() returns the AppParameterValue,
 * null for "no value", or throws an Error whose message belongs next to the field.
 */
export function parameterField(parameter, index) {
  const id = `param-${index}`;
  const kind = KINDS[parameter.type];
  if (!kind) {
    const control = h("input", { id, type: "text", disabled: true, value: "" });
    const field = new Field({
      label: parameter.title || parameter.name,
      control,
      optional: parameter.optional,
      hint: `A ${parameter.type.replaceAll("_", " ")} parameter can only be set through the API.`,
    });
    return { field, read: () => null };
  }
  const { control, read, hint, after } = kind(parameter, id);
  control.dataset.parameter = parameter.name;
  const field = new Field({
    label: parameter.title || parameter.name,
    control,
    optional: parameter.optional,
    hint: hintFor(parameter, hint),
    suffix: parameter.unitName ?? null,
    className: ["textarea", "input_file", "input_directory"].includes(parameter.type) ? "wide" : "",
  });
  if (after) {
    // The control keeps its label; the button sits beside it.
    const row = h("div", { class: "with-button" });
    control.replaceWith(row);
    row.append(control, after);
  }
  return { field, read };
}
