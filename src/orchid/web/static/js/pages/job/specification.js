// The specification a job was submitted with: application, product, replicas, time, parameters,
// and the whole of it as JSON.

import { h } from "../../dom.js";
import { formatSimpleDuration } from "../../format.js";

function parameterText(value) {
  if (!value) return "—";
  if ("value" in value) return typeof value.value === "string" ? value.value : JSON.stringify(value.value);
  if ("path" in value) return value.path;
  return JSON.stringify(value);
}

function fact(term, value) {
  return h("div", {}, h("dt", {}, term), h("dd", {}, value));
}

function parameterTable(parameters) {
  if (!parameters.length) return h("p", { class: "muted" }, "None.");
  return h(
    "table",
    { class: "params" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"))),
    h(
      "tbody",
      {},
      parameters.map(([name, value]) =>
        h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, h("code", { class: "value" }, parameterText(value)))),
      ),
    ),
  );
}

export function specificationCard(spec) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "spec-title" },
    h("h2", { id: "spec-title" }, "Specification"),
    h(
      "dl",
      { class: "facts compact" },
      fact("Application", `${spec.application.name} ${spec.application.version}`),
      fact("Product", `${spec.product.id} · ${spec.product.provider}`),
      fact("Replicas", String(spec.replicas)),
      fact("Time allocation", formatSimpleDuration(spec.timeAllocation)),
    ),
    h("h3", {}, "Parameters"),
    parameterTable(Object.entries(spec.parameters ?? {})),
    h("details", { class: "raw" }, h("summary", {}, "As JSON"), h("pre", { class: "code" }, JSON.stringify(spec, null, 2))),
  );
}
