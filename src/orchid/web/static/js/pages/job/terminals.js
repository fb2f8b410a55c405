// "Open terminal" on the page of a running job: one button per rank, each opening an in-page
// terminal (xterm.js, vendored under /ui/vendor/xterm/ and loaded only when first needed) on a shell
// session of that rank. A panel says whether its shell runs, and why it closed: the shell exited,
// the job ended, or the connection was refused or lost.

import { h, setText } from "../../dom.js";
import { openShell } from "../../shell.js";

const XTERM = "../../../vendor/xterm/xterm.mjs";
const FIT = "../../../vendor/xterm/addon-fit.mjs";
const XTERM_CSS = "/ui/vendor/xterm/xterm.css";

function loadStylesheet() {
  if (document.querySelector(`link[href="${XTERM_CSS}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href: XTERM_CSS }));
}

function closedText(reason) {
  switch (reason.kind) {
    case "exited":
      return `The shell exited (code ${reason.exitCode ?? "unknown"}).`;
    case "ended":
      return "The job has ended: the terminal is closed.";
    case "closed":
      return "Closed.";
    default:
      return `The terminal closed: ${reason.why}`;
  }
}

/** The buttons (`element`, shown while the job runs) and the open terminals (`panels`). */
export class Terminals {
  constructor(job, { signal }) {
    this.job = job;
    this.signal = signal;
    this.open = new Map();
    const replicas = job.specification.replicas;
    this.buttons = Array.from({ length: replicas }, (_, rank) =>
      h(
        "button",
        { type: "button", class: "button", "data-rank": rank, onclick: () => this.show(rank) },
        replicas > 1 ? `Open terminal (rank ${rank})` : "Open terminal",
      ),
    );
    this.element = h(
      "div",
      { class: "terminal-buttons button-row", role: "group", "aria-label": "Terminals", hidden: true },
      this.buttons,
    );
    this.panels = h("div", { class: "terminals" });
  }

  update(state) {
    this.element.hidden = state !== "RUNNING";
  }

  /** Open rank `rank`'s terminal, or focus it when it is already open. */
  show(rank) {
    const existing = this.open.get(rank);
    if (existing) {
      existing.focus();
      return;
    }
    const label = this.job.specification.replicas > 1 ? `Terminal (rank ${rank})` : "Terminal";
    const panel = new TerminalPanel(this.job.id, rank, label, {
      signal: this.signal,
      onRemove: () => {
        this.open.delete(rank);
        panel.element.remove();
        this.buttons[rank].focus();
      },
    });
    this.open.set(rank, panel);
    this.panels.append(panel.element);
    panel.start();
  }
}

class TerminalPanel {
  constructor(jobId, rank, label, { signal, onRemove }) {
    this.jobId = jobId;
    this.rank = rank;
    this.signal = signal;
    this.status = h("span", { class: "terminal-status", role: "status" }, "Connecting…");
    this.screen = h("div", { class: "terminal-screen", "aria-label": `${label}: shell` });
    this.element = h(
      "section",
      { class: "card terminal-panel", "data-rank": rank, "data-state": "connecting", "aria-label": label },
      h(
        "div",
        { class: "terminal-head" },
        h("h2", {}, label),
        this.status,
        h("button", { type: "button", class: "button small", onclick: () => this.remove(onRemove) }, "Close terminal"),
      ),
      this.screen,
    );
    this.cleanups = [];
    signal.addEventListener("abort", () => this.dispose());
  }

  setState(state, text) {
    this.element.dataset.state = state;
    setText(this.status, text);
  }

  focus() {
    this.terminal?.focus();
    this.element.scrollIntoView({ block: "nearest" });
  }

  async start() {
    try {
      loadStylesheet();
      const [{ Terminal }, { FitAddon }] = await Promise.all([import(XTERM), import(FIT)]);
      if (this.signal.aborted || this.disposed) return;
      this.terminal = new Terminal({
        cursorBlink: true,
        fontFamily: getComputedStyle(document.documentElement).getPropertyValue("--mono") || "monospace",
        fontSize: 14,
        scrollback: 5000,
        theme: { background: "#111827", foreground: "#e5e7eb" },
      });
      this.fit = new FitAddon();
      this.terminal.loadAddon(this.fit);
      this.terminal.open(this.screen);
      this.fitToScreen();
      this.shell = await openShell(this.jobId, this.rank, {
        cols: this.terminal.cols,
        rows: this.terminal.rows,
        signal: this.signal,
        onOpen: () => {
          this.setState("open", "Connected");
          this.terminal.focus();
        },
        onData: (text) => this.terminal.write(text),
        onClose: (reason) => this.closed(reason),
      });
      if (this.disposed) {
        this.shell.close();
        return;
      }
      this.watchInput();
    } catch (error) {
      if (!this.signal.aborted) this.closed({ kind: "error", why: error.why ?? String(error) });
    }
  }

  /** Keystrokes go to the shell; a new size (the panel or the window changed) is sent as a resize. */
  watchInput() {
    const typing = this.terminal.onData((data) => this.shell.input(data));
    const resizing = this.terminal.onResize(({ cols, rows }) => {
      this.element.dataset.size = `${cols}x${rows}`;
      this.shell.resize(cols, rows);
    });
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.fitToScreen());
    });
    observer.observe(this.screen);
    this.cleanups.push(
      () => typing.dispose(),
      () => resizing.dispose(),
      () => observer.disconnect(),
    );
  }

  fitToScreen() {
    if (!this.terminal || this.disposed) return;
    this.fit.fit();
    this.element.dataset.size = `${this.terminal.cols}x${this.terminal.rows}`;
  }

  closed(reason) {
    if (this.disposed) return;
    this.element.dataset.reason = reason.kind;
    this.setState("closed", closedText(reason));
    if (this.terminal) {
      this.terminal.options.disableStdin = true;
      this.terminal.options.cursorBlink = false;
    }
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  remove(onRemove) {
    this.dispose();
    onRemove();
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.shell?.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.terminal?.dispose();
  }
}
