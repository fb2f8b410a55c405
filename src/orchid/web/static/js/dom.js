// Building DOM nodes. Everything that comes from the API is set as text, never parsed as HTML, so a
// job name or a log line cannot inject markup.

// Set as properties, not attributes: the attribute is only the initial value.
const PROPERTIES = new Set(["value", "checked", "selected", "indeterminate"]);

/**
 * h("a", {href: "#/jobs", class: "button"}, "Jobs") -> <a href="#/jobs" class="button">Jobs</a>.
 * Attributes that are null, undefined or false are left out; true gives an empty attribute;
 * `onclick` (any `on...` function) adds a listener. Children may be nodes, strings, numbers, arrays
 * of those, or null/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(key)) {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Append children (see `h`) to `parent`. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Text where `backticked` spans become <code> (catalog descriptions use them), still never HTML. */
export function withCode(text) {
  return String(text ?? "")
    .split("`")
    .map((part, i) => (i % 2 === 1 ? h("code", {}, part) : part));
}

/** Text for screen readers only (e.g. "standard error" before a red log line). */
export function srOnly(text) {
  return h("span", { class: "sr-only" }, text);
}

/** An element's text, replaced only when it changed (keeps screen readers and selections calm). */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Ids unique within the page, for label/aria-describedby pairs. */
let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
