// New job: an application, a product, the application's parameters, replicas and a time allocation.
// The server validates; its messages are shown next to the field they name.

import { ApiError, browseApplications, browseProducts, createJob } from "../api.js";
import { Field, FieldGroup, alertBox } from "../components.js";
import { h } from "../dom.js";
import { applicationLabel, productSpecs } from "../format.js";
import { MountList } from "../mounts.js";
import { link, replaceLink } from "../router.js";
import { parameterField } from "../parameters.js";

const PARAMETER_CODES = new Set(["UNKNOWN_PARAMETER", "INVALID_PARAMETER", "MISSING_PARAMETER"]);

const productKey = (product) => `${product.category.provider}/${product.category.name}/${product.name}`;

/** Which field a server error is about: "replicas", "time", "name", "product", a parameter name,
 * or null when it concerns the job as a whole. Also returns the message to show there. */
export function fieldOfError(error, parameterNames) {
  const why = error.why ?? "";
  const shape = /^items\.0\.([A-Za-z]+)(?:\.([^.:\s]+))?[^:]*:\s*(.*)$/.exec(why);
  if (shape) {
    const [, field, sub, message] = shape;
    const friendly = message.charAt(0).toUpperCase() + message.slice(1);
    if (field === "replicas") return { field: "replicas", message: friendly };
    if (field === "timeAllocation") return { field: "time", message: friendly };
    if (field === "name") return { field: "name", message: friendly };
    if (field === "parameters" && parameterNames.has(sub)) return { field: sub, message: friendly };
  }
  if (error.errorCode === "INVALID_REPLICAS") return { field: "replicas", message: why };
  if (error.errorCode === "INVALID_TIME_ALLOCATION") return { field: "time", message: why };
  if (PARAMETER_CODES.has(error.errorCode)) {
    const quoted = /'([^']+)'/.exec(why);
    if (quoted && parameterNames.has(quoted[1])) return { field: quoted[1], message: why };
  }
  if (error.errorCode === "INSUFFICIENT_CAPACITY" || error.errorCode === "UNKNOWN_PRODUCT") {
    return { field: "product", message: why };
  }
  return { field: null, message: why };
}

export function render({ root, query, signal, router, title }) {
  title("New job");
  const status = h("div", { class: "form-status" });
  const body = h("div", {}, h("p", { class: "muted" }, "Loading applications and machine types…"));
  root.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, "New job"),
        h("p", { class: "lead" }, "Pick an application and a machine, fill in its parameters and submit."),
      ),
    ),
    status,
    body,
  );
  Promise.all([browseApplications({ signal }), browseProducts({ signal })])
    .then(([apps, products]) => {
      if (!signal.aborted) buildForm({ body, status, apps, products, query, router });
    })
    .catch((error) => {
      if (signal.aborted) return;
      body.replaceChildren(alertBox("error", `The catalog could not be loaded: ${error.why ?? error}`));
    });
}

function buildForm({ body, status, apps, products, query, router }) {
  if (!apps.length || !products.length) {
    body.replaceChildren(
      alertBox("info", "There is nothing to run yet: the catalog has no applications or no machine types."),
    );
    return;
  }
  // Without a version, the newest (the catalog lists versions oldest first).
  const wanted = apps.findLast(
    (app) =>
      app.metadata.name === query.get("app") &&
      (!query.get("version") || app.metadata.version === query.get("version")),
  );
  let app = wanted ?? apps[0];
  let parameters = []; // [{name, field, read}]

  // ---- Application ----
  const appSelect = h(
    "select",
    { id: "application", name: "application" },
    apps.map((candidate, i) =>
      h("option", { value: String(i), selected: candidate === app }, applicationLabel(candidate)),
    ),
  );
  const appField = new Field({
    label: "Application",
    control: appSelect,
    hint: app.metadata.description || " ",
    className: "narrow",
  });

  // ---- Product ----
  const productOptions = products.map((product, i) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "product", value: productKey(product), checked: i === 0, "data-index": i }),
      h(
        "span",
        { class: "choice-body" },
        h("span", { class: "choice-title" }, product.name),
        h("span", { class: "choice-specs" }, productSpecs(product)),
        h("span", { class: "choice-meta" }, `${product.category.name} · ${product.category.provider}`),
      ),
    ),
  );
  const productField = new FieldGroup({
    id: "product",
    legend: "Machine type",
    className: "choices",
    content: h("div", { class: "choice-grid" }, productOptions),
  });
  const selectedProduct = () => products[Number(productField.control.dataset.index ?? 0)];

  // ---- Parameters ----
  const parameterBox = h("div", { class: "fields" });
  const renderParameters = () => {
    parameters = app.invocation.parameters.map((parameter, i) => ({
      name: parameter.name,
      ...parameterField(parameter, i),
    }));
    parameterBox.replaceChildren(
      ...(parameters.length
        ? parameters.map((p) => p.field.element)
        : [h("p", { class: "muted" }, "This application takes no parameters.")]),
    );
  };
  renderParameters();

  // ---- Resources ----
  const nameField = new Field({
    label: "Job name",
    optional: true,
    control: h("input", { id: "job-name", name: "name", type: "text", maxlength: 200, autocomplete: "off" }),
    hint: "Shown in the job list instead of the job's number.",
  });
  const replicasField = new Field({
    label: "Replicas",
    control: h("input", {
      id: "replicas",
      name: "replicas",
      type: "number",
      inputmode: "numeric",
      min: 1,
      step: 1,
      value: "1",
      required: true,
    }),
    hint: "How many copies run at once; each gets its own rank ($ORCHID_RANK).",
  });
  const hours = h("input", {
    id: "time-hours",
    name: "hours",
    type: "number",
    inputmode: "numeric",
    min: 0,
    step: 1,
    value: "1",
  });
  const minutes = h("input", {
    id: "time-minutes",
    name: "minutes",
    type: "number",
    inputmode: "numeric",
    min: 0,
    max: 59,
    step: 1,
    value: "0",
  });
  const timeField = new FieldGroup({
    id: "time",
    legend: "Time allocation",
    className: "time-fieldset",
    content: h(
      "div",
      { class: "time-inputs" },
      h("div", { class: "field" }, h("label", { for: "time-hours" }, "Hours"), hours),
      h("div", { class: "field" }, h("label", { for: "time-minutes" }, "Minutes"), minutes),
    ),
    hint: "The job is stopped when its time runs out; you can extend it while it runs. Leave both empty for no limit.",
  });

  const mounts = new MountList();

  const submit = h("button", { type: "submit", class: "button primary" }, "Submit job");
  const form = h(
    "form",
    { class: "new-job", novalidate: true, "aria-label": "New job" },
    h(
      "section",
      { class: "card form-section", "aria-labelledby": "section-app" },
      h("h2", { id: "section-app" }, "Application and machine"),
      appField.element,
      productField.element,
    ),
    h(
      "section",
      { class: "card form-section", "aria-labelledby": "section-params" },
      h("h2", { id: "section-params" }, "Parameters"),
      parameterBox,
    ),
    h(
      "section",
      { class: "card form-section", "aria-labelledby": "section-resources" },
      h("h2", { id: "section-resources" }, "Resources"),
      h("div", { class: "fields two" }, nameField.element, replicasField.element),
      timeField.element,
      mounts.element,
    ),
    h("div", { class: "form-actions" }, submit, h("a", { class: "button ghost", href: "#/jobs" }, "Cancel")),
  );
  body.replaceChildren(form);

  appSelect.addEventListener("change", () => {
    app = apps[Number(appSelect.value)];
    appField.setHint(app.metadata.description || " ");
    replaceLink(link("/new", { app: app.metadata.name, version: app.metadata.version }));
    status.replaceChildren();
    renderParameters();
  });

  const allFields = () => [
    appField,
    nameField,
    replicasField,
    timeField,
    productField,
    ...parameters.map((p) => p.field),
  ];
  const fieldByName = (name) =>
    ({ replicas: replicasField, time: timeField, name: nameField, product: productField })[name] ??
    parameters.find((p) => p.name === name)?.field;

  function readSpecification() {
    const problems = [];
    const values = {};
    for (const parameter of parameters) {
      try {
        const value = parameter.read();
        if (value !== null) values[parameter.name] = value;
      } catch (error) {
        problems.push([parameter.field, error.message]);
      }
    }
    const replicas = Number(replicasField.control.value || "1");
    if (!Number.isInteger(replicas)) problems.push([replicasField, "Enter a whole number."]);
    const wholeHours = hours.value === "" ? null : Number(hours.value);
    const wholeMinutes = minutes.value === "" ? null : Number(minutes.value);
    if ([wholeHours, wholeMinutes].some((n) => n !== null && !Number.isInteger(n))) {
      problems.push([timeField, "Enter whole hours and minutes."]);
    }
    const product = selectedProduct();
    const specification = {
      application: { name: app.metadata.name, version: app.metadata.version },
      product: { id: product.id ?? product.name, category: product.category.name, provider: product.category.provider },
      name: nameField.control.value.trim() || null,
      replicas,
      allowDuplicateJob: false,
      parameters: values,
      resources: mounts.read(),
      timeAllocation:
        wholeHours === null && wholeMinutes === null
          ? null
          : { hours: wholeHours ?? 0, minutes: wholeMinutes ?? 0, seconds: 0 },
    };
    return { specification, problems };
  }

  function showProblems(problems, summary) {
    for (const [field, message] of problems) field.setError(message);
    status.replaceChildren(alertBox("error", summary));
    problems[0]?.[0].control?.focus();
  }

  async function send(specification) {
    submit.disabled = true;
    submit.textContent = "Submitting…";
    try {
      const id = await createJob(specification);
      router.go(`#/jobs/${encodeURIComponent(id)}`);
    } catch (error) {
      submit.disabled = false;
      submit.textContent = "Submit job";
      if (!(error instanceof ApiError)) throw error;
      if (error.errorCode === "DUPLICATE_JOB") {
        const again = h("button", { type: "button", class: "button small" }, "Submit it anyway");
        again.addEventListener("click", () => send({ ...specification, allowDuplicateJob: true }));
        status.replaceChildren(alertBox("error", h("p", {}, error.why), again));
        again.focus();
        return;
      }
      const { field, message } = fieldOfError(error, new Set(parameters.map((p) => p.name)));
      const target = field && fieldByName(field);
      if (target) showProblems([[target, message]], "The job was not submitted. Check the highlighted field.");
      else showProblems([], `The job was not submitted: ${message}`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const field of allFields()) field.clearError();
    status.replaceChildren();
    const { specification, problems } = readSpecification();
    if (problems.length) {
      showProblems(problems, "The job was not submitted. Check the highlighted fields.");
      return;
    }
    send(specification);
  });
}
