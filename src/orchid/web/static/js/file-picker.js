// A dialog to pick a file or a folder on the user's drives (for input_file / input_directory
// parameters and for the folders a job mounts). It browses with the public files API and resolves
// to the chosen UCloud path, or null when cancelled.

import { ApiError } from "./api.js";
import { h, setText, uid } from "./dom.js";
import { baseName, browseDrives, browseFiles, pathParts } from "./files-api.js";

const PAGE_SIZE = 100;

/**
 * pickPath({kind: "file" | "folder", title}) -> Promise<string | null>. Opens at the folder of
 * `start` when given (else the Home drive); folders open on click; in "file" mode a file is chosen
 * by clicking it, in "folder" mode the open folder is chosen with "Choose this folder".
 */
export function pickPath({ kind, title, start = null }) {
  return new Promise((resolve) => {
    const id = uid("picker");
    const crumbs = h("nav", { class: "breadcrumb", "aria-label": "Where the picker is" });
    const list = h("ul", { class: "picker-list", "aria-label": "Files and folders" });
    const problem = h("div", {});
    const more = h("button", { type: "button", class: "button small", hidden: true }, "Show more");
    const choose = h("button", { type: "button", class: "button primary", hidden: kind !== "folder" }, "Choose this folder");
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const dialog = h(
      "dialog",
      { class: "confirm picker", "aria-labelledby": `${id}-title` },
      h("h2", { id: `${id}-title` }, title),
      crumbs,
      problem,
      list,
      more,
      h("div", { class: "button-row end" }, cancel, choose),
    );
    document.body.append(dialog);
    let chosen = null;
    let here = null; // the open folder, or null for the list of drives
    let drives = [];
    let next = null;
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(chosen);
    });
    cancel.addEventListener("click", () => dialog.close());
    choose.addEventListener("click", () => {
      if (!here) return;
      chosen = here;
      dialog.close();
    });

    function entryButton(label, kindOf, onclick, disabled = false) {
      return h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "picker-entry", "data-kind": kindOf, disabled, onclick },
          h("span", { class: "file-icon", "data-kind": kindOf, "aria-hidden": "true" }),
          label,
        ),
      );
    }

    function driveTitle(driveId) {
      return drives.find((drive) => drive.id === driveId)?.specification.title ?? `Drive ${driveId}`;
    }

    function drawCrumbs() {
      const items = [h("button", { type: "button", class: "link", onclick: () => showDrives() }, "Drives")];
      if (here) {
        const parts = pathParts(here);
        parts.forEach((name, i) => {
          const path = `/${parts.slice(0, i + 1).join("/")}`;
          const label = i === 0 ? driveTitle(name) : name;
          items.push(
            i === parts.length - 1
              ? h("span", { "aria-current": "location" }, label)
              : h("button", { type: "button", class: "link", onclick: () => open(path) }, label),
          );
        });
      }
      crumbs.replaceChildren(...items.flatMap((item, i) => (i ? [h("span", { "aria-hidden": "true" }, " / "), item] : [item])));
    }

    function showDrives() {
      here = null;
      next = null;
      choose.disabled = true;
      more.hidden = true;
      drawCrumbs();
      list.replaceChildren(...drives.map((drive) => entryButton(drive.specification.title, "DRIVE", () => open(`/${drive.id}`))));
      list.querySelector("button")?.focus();
    }

    async function open(path, append = false) {
      here = path;
      choose.disabled = false;
      drawCrumbs();
      problem.replaceChildren();
      try {
        const page = await browseFiles({ path, itemsPerPage: PAGE_SIZE, next: append ? next : null });
        if (here !== path) return;
        next = page.next;
        more.hidden = !next;
        const rows = page.items.map((entry) => {
          const name = baseName(entry.id);
          if (entry.status.type === "DIRECTORY") return entryButton(name, "DIRECTORY", () => open(entry.id));
          return entryButton(
            name,
            "FILE",
            () => {
              chosen = entry.id;
              dialog.close();
            },
            kind !== "file",
          );
        });
        if (append) list.append(...rows);
        else list.replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "This folder is empty.")]));
        if (!append) (list.querySelector("button:not(:disabled)") ?? choose).focus();
      } catch (error) {
        problem.replaceChildren(
          h("p", { class: "alert error", role: "alert" }, error instanceof ApiError ? error.why : String(error)),
        );
      }
    }
    more.addEventListener("click", () => here && open(here, true));

    dialog.showModal();
    setText(list, "Loading…");
    browseDrives()
      .then((found) => {
        drives = found;
        const home = drives.find((drive) => drive.status.preferredDrive) ?? drives[0];
        const startFolder = start ? `/${pathParts(start).slice(0, kind === "file" ? -1 : undefined).join("/")}` : null;
        if (startFolder && pathParts(startFolder).length) open(startFolder);
        else if (home) open(`/${home.id}`);
        else showDrives();
      })
      .catch((error) => {
        problem.replaceChildren(
          h("p", { class: "alert error", role: "alert" }, error instanceof ApiError ? error.why : String(error)),
        );
      });
  });
}
