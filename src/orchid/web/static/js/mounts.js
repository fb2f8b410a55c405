// The folders a new job mounts (`resources` of type `file`): chosen with the file picker, each
// read-only or not. The job sees each at /work/<folder name>.

import { h, uid } from "./dom.js";
import { baseName } from "./files-api.js";
import { pickPath } from "./file-picker.js";

export class MountList {
  constructor() {
    this.mounts = []; // [{path, readOnly: <input type=checkbox>, row}]
    this.list = h("ul", { class: "mount-list" });
    this.empty = h("p", { class: "muted" }, "No folders: the job sees only its own /work.");
    this.add = h("button", { type: "button", class: "button" }, "Add folder…");
    this.add.addEventListener("click", async () => {
      const path = await pickPath({ kind: "folder", title: "Choose a folder to mount" });
      if (path) this.append(path);
      this.add.focus();
    });
    this.element = h(
      "fieldset",
      { class: "mounts", id: "mounts" },
      h("legend", {}, "Folders to mount"),
      h("p", { class: "hint" }, "Folders of your drives the job can use, each at /work/<folder name>."),
      this.empty,
      this.list,
      this.add,
    );
  }

  /** Add a folder (a UCloud path); a folder already listed is not added twice. */
  append(path) {
    if (this.mounts.some((mount) => mount.path === path)) return;
    const id = uid("mount");
    const readOnly = h("input", { type: "checkbox", id, "data-read-only": path });
    const remove = h("button", { type: "button", class: "button small", "aria-label": `Remove ${path}` }, "Remove");
    const row = h(
      "li",
      { "data-mount": path },
      h("code", { class: "mount-path" }, path),
      h("span", { class: "muted mount-at" }, `at /work/${baseName(path)}`),
      h("label", { class: "mount-ro", for: id }, readOnly, " Read-only"),
      remove,
    );
    readOnly.setAttribute("aria-label", `Mount ${path} read-only`);
    const mount = { path, readOnly, row };
    remove.addEventListener("click", () => {
      this.mounts = this.mounts.filter((m) => m !== mount);
      row.remove();
      this.empty.hidden = this.mounts.length > 0;
      this.add.focus();
    });
    this.mounts.push(mount);
    this.list.append(row);
    this.empty.hidden = true;
  }

  /** The job's `resources`: null when no folder is mounted. */
  read() {
    if (!this.mounts.length) return null;
    return this.mounts.map((mount) => ({ type: "file", path: mount.path, readOnly: mount.readOnly.checked }));
  }
}
