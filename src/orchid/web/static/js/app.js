// The entry point: routes, the header, and what happens when the token stops working.

import { UNAUTHORIZED_EVENT, session } from "./api.js";
import * as filesPage from "./pages/files.js";
import * as jobPage from "./pages/job.js";
import * as jobsPage from "./pages/jobs.js";
import * as newJobPage from "./pages/new.js";
import * as signInPage from "./pages/signin.js";
import { Router, currentLocation, link } from "./router.js";

const routes = [
  { pattern: /^\/signin$/, page: signInPage, public: true },
  { pattern: /^\/jobs$/, page: jobsPage, nav: "jobs" },
  { pattern: /^\/jobs\/([^/]+)$/, keys: ["id"], page: jobPage, nav: "jobs" },
  { pattern: /^\/new$/, page: newJobPage, nav: "new" },
  { pattern: /^\/files$/, page: filesPage, nav: "files" },
];

const main = document.getElementById("main");

function updateHeader(route) {
  const signedIn = Boolean(session.token);
  for (const element of document.querySelectorAll("[data-signed-in]")) element.hidden = !signedIn;
  for (const anchor of document.querySelectorAll("[data-nav]")) {
    if (anchor.dataset.nav === route.nav) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

const router = new Router({
  outlet: main,
  routes,
  fallback: "#/jobs",
  guard(route, where) {
    if (route.public || session.token) return null;
    return link("/signin", { next: where.hash });
  },
  onRender: updateHeader,
});

document.querySelector("[data-signout]").addEventListener("click", () => {
  session.clear();
  router.go(link("/signin", { reason: "signed-out" }));
});

// The skip link would otherwise be taken for a route by the hash router.
document.querySelector("[data-skip]").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener(UNAUTHORIZED_EVENT, () => {
  const where = currentLocation();
  session.clear();
  if (where.path !== "/signin") router.go(link("/signin", { reason: "expired", next: where.hash }));
});

router.start();
