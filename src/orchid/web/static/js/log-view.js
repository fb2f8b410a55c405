// The live output of a job: every rank's stdout and stderr, as lines, in the order they arrived.
//
// Auto-scroll follows the tail while the reader is at the bottom and stops as soon as they scroll
// up; "Jump to latest" resumes it. The page keeps at most MAX_LINES lines (a browser slows down
// beyond that), but the download always holds everything received.

import { append, h, srOnly } from "./dom.js";

const MAX_LINES = 5000;
const BOTTOM_SLACK_PX = 8;

export class LogView {
  constructor({ replicas = 1, jobId }) {
    this.jobId = jobId;
    this.replicas = replicas;
    this.chunks = []; // [{rank, stream, text}] as received: the source of the download
    this.open = new Map(); // "rank/stream" -> the line element still waiting for its newline
    this.lineCount = 0;
    this.rankFilter = "";
    this.following = true;

    this.placeholder = h("p", { class: "log-empty" }, "No output yet.");
    this.trimmed = h(
      "p",
      { class: "log-trimmed", hidden: true },
      `Only the last ${MAX_LINES} lines are shown here; download the log for all of it.`,
    );
    this.lines = h("div", { class: "log-lines" });
    this.output = h(
      "div",
      { class: "log", role: "log", "aria-live": "off", "aria-label": "Job output", tabindex: "0" },
      this.trimmed,
      this.placeholder,
      this.lines,
    );
    this.jump = h("button", { type: "button", class: "button small jump", hidden: true }, "↓ Jump to latest");
    this.download = h("button", { type: "button", class: "button small" }, "Download log");
    this.rankSelect = h("select", { id: "log-rank" });
    this.rankField = h("div", { class: "field inline" }, h("label", { for: "log-rank" }, "Rank"), this.rankSelect);
    this.element = h(
      "div",
      { class: "log-view" },
      h(
        "div",
        { class: "log-toolbar" },
        h(
          "p",
          { class: "legend" },
          h("span", { class: "legend-stdout" }, "stdout"),
          h("span", { class: "legend-stderr" }, h("span", { "aria-hidden": "true" }, "▍"), "stderr"),
        ),
        h("div", { class: "log-actions" }, this.rankField, this.download),
      ),
      h("div", { class: "log-frame" }, this.output, this.jump),
    );

    this.output.addEventListener("scroll", () => {
      const gap = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight;
      this.setFollowing(gap <= BOTTOM_SLACK_PX);
    });
    this.jump.addEventListener("click", () => {
      this.setFollowing(true);
      this.scrollToEnd();
      this.output.focus();
    });
    this.download.addEventListener("click", () => this.saveFile());
    this.rankSelect.addEventListener("change", () => this.filterRank(this.rankSelect.value));
    this.setReplicas(replicas);
  }

  setReplicas(replicas) {
    this.replicas = replicas;
    this.rankField.hidden = replicas <= 1;
    this.rankSelect.replaceChildren();
    append(this.rankSelect, [
      h("option", { value: "" }, "All ranks"),
      Array.from({ length: replicas }, (_, rank) =>
        h("option", { value: String(rank), selected: String(rank) === this.rankFilter }, `Rank ${rank}`),
      ),
    ]);
  }

  /** Forget everything (a reconnected follow replays the log from its start). */
  clear() {
    this.chunks = [];
    this.open.clear();
    this.lines.replaceChildren();
    this.lineCount = 0;
    this.placeholder.hidden = false;
    this.trimmed.hidden = true;
  }

  /** One JobsLog entry: {rank, stdout, stderr}. */
  append(entry) {
    for (const stream of ["stdout", "stderr"]) {
      const text = entry[stream];
      if (text) this.appendText(entry.rank, stream, text);
    }
    if (this.following) this.scrollToEnd();
  }

  appendText(rank, stream, text) {
    this.chunks.push({ rank, stream, text });
    this.placeholder.hidden = true;
    const key = `${rank}/${stream}`;
    const pieces = text.split("\n");
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      if (last && piece === "") {
        this.open.delete(key); // the chunk ended with a newline
        return;
      }
      let line = this.open.get(key);
      if (line) {
        line.lastChild.textContent += piece;
      } else {
        line = this.newLine(rank, stream, piece);
      }
      if (last) this.open.set(key, line);
      else this.open.delete(key);
    });
  }

  newLine(rank, stream, text) {
    const line = h(
      "div",
      {
        class: `line ${stream}`,
        "data-rank": rank,
        hidden: this.rankFilter !== "" && String(rank) !== this.rankFilter,
      },
      this.replicas > 1 ? h("span", { class: "rank", title: `Rank ${rank}` }, srOnly("rank "), String(rank)) : null,
      stream === "stderr" ? srOnly("standard error: ") : null,
      h("span", { class: "text" }, text),
    );
    this.lines.append(line);
    this.lineCount += 1;
    if (this.lineCount > MAX_LINES) {
      const oldest = this.lines.firstChild;
      for (const [key, open] of this.open) if (open === oldest) this.open.delete(key);
      oldest.remove();
      this.lineCount -= 1;
      this.trimmed.hidden = false;
    }
    return line;
  }

  filterRank(rank) {
    this.rankFilter = rank;
    for (const line of this.lines.children) line.hidden = rank !== "" && line.dataset.rank !== rank;
    if (this.following) this.scrollToEnd();
  }

  setFollowing(following) {
    this.following = following;
    this.jump.hidden = following;
  }

  scrollToEnd() {
    this.output.scrollTop = this.output.scrollHeight;
  }

  /** The whole log as text; with several ranks each line says which rank wrote it. */
  text() {
    if (this.replicas <= 1) return this.chunks.map((chunk) => chunk.text).join("");
    const lines = [];
    const open = new Map();
    for (const { rank, stream, text } of this.chunks) {
      const key = `${rank}/${stream}`;
      const pieces = text.split("\n");
      pieces.forEach((piece, i) => {
        const last = i === pieces.length - 1;
        if (last && piece === "") return open.delete(key);
        if (open.has(key)) lines[open.get(key)] += piece;
        else lines.push(`[rank ${rank}${stream === "stderr" ? " stderr" : ""}] ${piece}`);
        if (last) open.set(key, open.get(key) ?? lines.length - 1);
        else open.delete(key);
      });
    }
    return lines.map((line) => `${line}\n`).join("");
  }

  saveFile() {
    const url = URL.createObjectURL(new Blob([this.text()], { type: "text/plain;charset=utf-8" }));
    const anchor = h("a", { href: url, download: `job-${this.jobId}.log`, hidden: true });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
