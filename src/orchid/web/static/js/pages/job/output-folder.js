// A link from the job page to the job's output folder (its /work) on the Files page. The folder is
// known once the provider reports it: `output.outputFolder`, or an update carrying `outputFolder`.

import { h, setText } from "../../dom.js";
import { link } from "../../router.js";

/** The job's output folder (a UCloud path), or null while it is not known. */
export function outputFolderOf(job) {
  return job.output?.outputFolder ?? job.updates?.findLast((update) => update.outputFolder)?.outputFolder ?? null;
}

export class OutputFolderLink {
  constructor() {
    this.path = h("code", {});
    this.element = h(
      "a",
      { class: "button small output-folder", hidden: true, "data-output-folder": true },
      "Output folder ",
      this.path,
    );
  }

  update(job) {
    const folder = outputFolderOf(job);
    this.element.hidden = !folder;
    if (!folder) return;
    this.element.href = link("/files", { path: folder });
    this.element.title = `Open ${folder} on the Files page: what the job writes to /work is there`;
    setText(this.path, folder);
  }
}
