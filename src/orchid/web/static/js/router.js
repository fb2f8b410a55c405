// A hash router: "#/jobs?state=RUNNING" -> the page registered for /jobs, with its query.
//
// Each page is `render(context)` and gets a fresh root element and an AbortSignal that aborts when
// the user navigates away; pages stop their timers and sockets on that signal.

export function currentLocation() {
  const raw = location.hash.replace(/^#/, "") || "/jobs";
  const [path, search = ""] = raw.split("?");
  return { path, query: new URLSearchParams(search), hash: `#${raw}` };
}

/** "#/jobs" + {state: "RUNNING", application: ""} -> "#/jobs?state=RUNNING". */
export function link(path, query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

/** Change the address without rendering again (for filters a page already applied). */
export function replaceLink(hash) {
  history.replaceState(history.state, "", hash);
}

export class Router {
  /**
   * routes: [{pattern: /^\/jobs\/([^/]+)$/, keys: ["id"], page: module, public: bool, nav}];
   * guard(route, location) returns a hash to go to instead, or null;
   * onRender(route) runs after each page render (header state, nav highlight).
   */
  constructor({ outlet, routes, fallback, guard, onRender }) {
    this.outlet = outlet;
    this.routes = routes;
    this.fallback = fallback;
    this.guard = guard;
    this.onRender = onRender;
    this.controller = null;
    this.rendered = 0;
  }

  start() {
    window.addEventListener("hashchange", () => this.render());
    this.render();
  }

  go(hash) {
    if (location.hash === hash) this.render();
    else location.hash = hash;
  }

  render() {
    const where = currentLocation();
    let route = null;
    let match = null;
    for (const candidate of this.routes) {
      match = candidate.pattern.exec(where.path);
      if (match) {
        route = candidate;
        break;
      }
    }
    if (!route) {
      location.replace(this.fallback);
      return;
    }
    const redirect = this.guard(route, where);
    if (redirect) {
      location.replace(redirect);
      return;
    }
    this.controller?.abort();
    this.controller = new AbortController();
    const params = Object.fromEntries((route.keys ?? []).map((key, i) => [key, decodeURIComponent(match[i + 1])]));
    const root = document.createElement("div");
    root.className = "page";
    this.outlet.replaceChildren(root);
    const firstRender = this.rendered === 0;
    this.rendered += 1;
    route.page.render({
      root,
      params,
      query: where.query,
      signal: this.controller.signal,
      router: this,
      title: (text) => {
        document.title = `${text} · Orchid`;
      },
    });
    this.onRender(route);
    if (!firstRender && !this.outlet.contains(document.activeElement)) {
      // Move keyboard and screen-reader focus to the new page, as a full page load would.
      this.outlet.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }
}
