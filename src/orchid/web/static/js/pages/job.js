// One job: its state and timeline (live over jobs.follow), time left with Extend, Terminate, the
// output of every rank, and the specification it was submitted with. The parts live in ./job/; this
// module loads the job, puts the parts on the page and keeps them current.

import { ApiError, extendJob, retrieveJob, terminateJob } from "../api.js";
import { alertBox } from "../components.js";
import { h } from "../dom.js";
import { followJob } from "../follow.js";
import { formatSimpleDuration, formatWhen, jobTitle } from "../format.js";
import { LogView } from "../log-view.js";
import { SessionLinks } from "../sessions.js";
import { ExtendControls } from "./job/extend.js";
import { JobHead } from "./job/head.js";
import { OutputFolderLink } from "./job/output-folder.js";
import { Overview } from "./job/overview.js";
import { specificationCard } from "./job/specification.js";
import { TerminateControl } from "./job/terminate.js";
import { Terminals } from "./job/terminals.js";
import { Timeline } from "./job/timeline.js";

/** Merge a newer JobStatus into the one we have; follow messages carry no resolved product/app. */
function mergeStatus(old, fresh) {
  return {
    ...old,
    ...fresh,
    resolvedProduct: fresh.resolvedProduct ?? old?.resolvedProduct ?? null,
    resolvedApplication: fresh.resolvedApplication ?? old?.resolvedApplication ?? null,
  };
}

export function render({ root, params, signal, title }) {
  const id = params.id;
  title(`Job ${id}`);
  root.append(h("p", { class: "muted" }, "Loading the job…"));
  retrieveJob(id, { signal })
    .then((job) => {
      if (!signal.aborted) new JobPage(job, { root, signal, title });
    })
    .catch((error) => {
      if (!signal.aborted) showLoadError(root, id, error);
    });
}

function showLoadError(root, id, error) {
  const notFound = error instanceof ApiError && error.status === 404;
  root.replaceChildren(
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: "#/jobs" }, "Jobs")),
    h("h1", {}, notFound ? `Job ${id} was not found` : `Job ${id} could not be loaded`),
    alertBox("error", notFound ? "It does not exist, or it belongs to someone else." : (error.why ?? String(error))),
  );
}

/** The page of a loaded job: builds its parts, then follows the job until the page goes away. */
class JobPage {
  constructor(job, { root, signal, title }) {
    this.job = job;
    this.signal = signal;
    title(jobTitle(job));
    this.head = new JobHead(job);
    this.extendControls = new ExtendControls({ onExtend: (duration) => this.extend(duration) });
    this.terminateControl = new TerminateControl(job, { onTerminate: () => this.terminate(), signal });
    this.terminals = new Terminals(job, { signal });
    this.overview = new Overview(job, {
      sessions: new SessionLinks(job, { signal }),
      terminals: this.terminals,
      extend: this.extendControls,
      terminate: this.terminateControl,
    });
    this.outputFolder = new OutputFolderLink();
    this.logView = new LogView({ replicas: job.specification.replicas, jobId: job.id });
    this.timeline = new Timeline();
    root.replaceChildren(
      this.head.element,
      this.overview.element,
      this.terminals.panels,
      h(
        "section",
        { class: "card output", "aria-labelledby": "output-title" },
        h("div", { class: "output-head" }, h("h2", { id: "output-title" }, "Output"), this.outputFolder.element),
        this.logView.element,
      ),
      h("div", { class: "columns" }, this.timeline.element, specificationCard(job.specification)),
      this.terminateControl.dialog,
      this.head.announcer,
    );
    this.timeline.render(job.updates);
    this.renderStatus();
    const ticker = setInterval(() => this.overview.tick(this.job), 1000);
    signal.addEventListener("abort", () => clearInterval(ticker));
    followJob(job.id, {
      onMessage: (message) => this.onMessage(message),
      onConnection: (state, why) => this.onConnection(state, why),
      signal,
    });
  }

  renderStatus() {
    this.head.update(this.job.status.state);
    this.overview.update(this.job);
    this.outputFolder.update(this.job);
  }

  /** Extend by `duration`; true when it was extended. */
  async extend(duration) {
    try {
      await extendJob(this.job.id, duration);
      const fresh = await retrieveJob(this.job.id, { signal: this.signal });
      this.job.status = mergeStatus(this.job.status, fresh.status);
      this.renderStatus();
      const { expiresAt } = this.job.status;
      const when =
        expiresAt != null
          ? `The job now expires at ${formatWhen(expiresAt)}.`
          : "The job gets the extra time once it starts.";
      this.overview.setMessage("success", `Extended by ${formatSimpleDuration(duration)}. ${when}`);
      return true;
    } catch (error) {
      if (!this.signal.aborted) this.overview.setMessage("error", `Not extended: ${error.why ?? error}`);
      return false;
    }
  }

  async terminate() {
    this.terminateControl.setBusy(true);
    try {
      await terminateJob(this.job.id);
      this.overview.setMessage("info", "Terminating: the job stops within a few seconds.");
    } catch (error) {
      this.terminateControl.setBusy(false);
      if (!this.signal.aborted) this.overview.setMessage("error", `Not terminated: ${error.why ?? error}`);
    }
  }

  onMessage(message) {
    if (message.initialJob) {
      // A (re)connection: the server sends the whole job again and replays the log from its start.
      this.job = { ...message.initialJob, status: mergeStatus(this.job.status, message.initialJob.status) };
      this.logView.clear();
      this.timeline.render(this.job.updates);
    } else if (message.updates?.length) {
      this.job.updates = [...this.job.updates, ...message.updates];
      this.timeline.render(this.job.updates);
    }
    if (message.newStatus) {
      const before = this.job.status.state;
      this.job.status = mergeStatus(this.job.status, message.newStatus);
      if (before !== this.job.status.state && !message.initialJob) this.head.announce(this.job.status.state);
    }
    this.renderStatus();
    for (const entry of message.log ?? []) this.logView.append(entry);
  }

  onConnection(state, why) {
    this.head.setConnection(state);
    if (state === "failed") this.overview.setMessage("error", `Live updates stopped: ${why}`);
  }
}
