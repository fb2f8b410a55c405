// Sign in with a bearer token. The token is checked with one cheap API call before it is kept.

import { ApiError, checkToken, session } from "../api.js";
import { h } from "../dom.js";

const REASONS = {
  expired: "Your token is no longer accepted. Sign in again to continue.",
  "signed-out": "You are signed out.",
};

function safeNext(next) {
  // Only hashes of this app: never a redirect to another site.
  return next && next.startsWith("#/") && !next.startsWith("#/signin") ? next : "#/jobs";
}

export function render({ root, query, router, title }) {
  title("Sign in");
  const reason = REASONS[query.get("reason")];
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-hint",
  });
  const error = h("p", { id: "token-error", class: "field-error", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "button primary wide" }, "Sign in");

  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "token-error token-hint");
    input.focus();
  };

  const form = h(
    "form",
    {
      class: "signin-form",
      novalidate: true,
      async onsubmit(event) {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) {
          showError("Enter your API token.");
          return;
        }
        button.disabled = true;
        button.textContent = "Checking…";
        try {
          await checkToken(token);
          session.set(token);
          router.go(safeNext(query.get("next")));
        } catch (failure) {
          if (failure instanceof ApiError && failure.status === 401) {
            showError("That token was not accepted. Check that you copied all of it.");
          } else {
            showError(failure instanceof ApiError ? failure.why : String(failure));
          }
          button.disabled = false;
          button.textContent = "Sign in";
        }
      },
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: "token" }, "API token"),
      input,
      h(
        "p",
        { id: "token-hint", class: "hint" },
        "The token printed by ",
        h("code", {}, "orchid serve"),
        " or ",
        h("code", {}, "orchid users create NAME"),
        ". It is kept in this browser tab only.",
      ),
      error,
    ),
    button,
  );

  root.append(
    h(
      "section",
      { class: "signin card", "aria-labelledby": "signin-title" },
      h("h1", { id: "signin-title" }, "Sign in to Orchid"),
      h("p", { class: "lead" }, "Run, watch, extend and stop compute jobs."),
      reason ? h("p", { class: "alert info", role: "status" }, reason) : null,
      form,
    ),
  );
  input.focus();
}
