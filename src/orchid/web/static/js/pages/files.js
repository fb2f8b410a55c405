// Files: the user's drives (#/files), and a folder of a drive (#/files?path=/<drive>/<folder>) with
// breadcrumbs, sorting, paging, new folder, uploads (file picker or drag and drop, with progress),
// download, rename and delete. Everything goes through the public files API.

import { ApiError } from "../api.js";
import { alertBox } from "../components.js";
import { h, setText } from "../dom.js";
import { askName, confirmAction } from "../file-dialogs.js";
import {
  baseName,
  browseDrives,
  browseFiles,
  childPath,
  createDownload,
  createFolder,
  driveOf,
  moveFile,
  parentPath,
  pathParts,
  retrieveDrive,
  trashFile,
} from "../files-api.js";
import { formatBytes, formatDateTime, formatRelative } from "../format.js";
import { link, replaceLink } from "../router.js";
import { uploads } from "../uploads.js";

const PAGE_SIZE = 50;
const SORTS = { PATH: "Name", SIZE: "Size", MODIFIED_AT: "Modified" };

export function render(context) {
  const path = context.query.get("path");
  if (path && pathParts(path).length) folderPage({ ...context, path: `/${pathParts(path).join("/")}` });
  else drivesPage(context);
}

function fileIcon(kind) {
  return h("span", { class: "file-icon", "data-kind": kind, "aria-hidden": "true" });
}

function errorText(error) {
  return error instanceof ApiError ? error.why : String(error);
}

// ---- Drives ----

function drivesPage({ root, signal, title }) {
  title("Files");
  const tbody = h("tbody", {}, h("tr", { class: "empty" }, h("td", { colspan: 3 }, "Loading drives…")));
  const problem = h("div", { class: "problem" });
  root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Files"), h("p", { class: "lead" }, "Your drives. Jobs read from them and write to them.")),
    ),
    problem,
    h(
      "div",
      { class: "card table-card" },
      h(
        "table",
        { class: "jobs-table files-table" },
        h("caption", { class: "sr-only" }, "Your drives"),
        h(
          "thead",
          {},
          h("tr", {}, ["Drive", "ID", "Created"].map((name) => h("th", { scope: "col" }, name))),
        ),
        tbody,
      ),
    ),
  );
  browseDrives({ signal })
    .then((drives) => {
      tbody.replaceChildren(
        ...drives.map((drive) =>
          h(
            "tr",
            { "data-drive-id": drive.id },
            h(
              "td",
              { "data-label": "Drive" },
              h(
                "span",
                { class: "cell" },
                fileIcon("DRIVE"),
                h("a", { class: "file-link", href: link("/files", { path: `/${drive.id}` }) }, drive.specification.title),
                drive.status.preferredDrive ? h("span", { class: "muted" }, " (your Home drive)") : null,
              ),
            ),
            h("td", { "data-label": "ID" }, h("code", {}, drive.id)),
            h("td", { "data-label": "Created", title: formatDateTime(drive.createdAt) }, formatRelative(drive.createdAt)),
          ),
        ),
      );
    })
    .catch((error) => {
      if (!signal.aborted) problem.replaceChildren(alertBox("error", errorText(error)));
    });
}

// ---- A folder ----

function folderPage({ root, path, query, signal, title }) {
  const driveId = driveOf(path);
  const parts = pathParts(path).slice(1);
  const sortBy = SORTS[query.get("sortBy")] ? query.get("sortBy") : "PATH";
  const direction = query.get("direction") === "descending" ? "descending" : "ascending";
  const inTrash = parts[0] === "Trash";
  const cursors = [null];
  let pageIndex = 0;
  let lastPage = null;
  let generation = 0;
  title(parts.length ? parts[parts.length - 1] : "Files");

  // ---- Head: breadcrumbs, the actions ----
  const driveCrumb = h("a", { href: link("/files", { path: `/${driveId}` }) }, `Drive ${driveId}`);
  const crumbs = [
    h("a", { href: "#/files" }, "Drives"),
    driveCrumb,
    ...parts.map((name, i) =>
      i === parts.length - 1
        ? h("span", { "aria-current": "page" }, name)
        : h("a", { href: link("/files", { path: `/${[driveId, ...parts.slice(0, i + 1)].join("/")}` }) }, name),
    ),
  ];
  const breadcrumb = h(
    "nav",
    { class: "breadcrumb", "aria-label": "Breadcrumb" },
    crumbs.flatMap((crumb, i) => (i ? [h("span", { "aria-hidden": "true" }, " / "), crumb] : [crumb])),
  );
  const heading = h("h1", {}, parts.length ? parts[parts.length - 1] : `Drive ${driveId}`);
  const picker = h("input", { type: "file", multiple: true, hidden: true, "data-upload-input": true });
  const uploadButton = h("button", { type: "button", class: "button primary" }, "Upload files");
  const folderButton = h("button", { type: "button", class: "button" }, "New folder");
  const status = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const problem = h("div", { class: "problem" });

  // ---- The listing ----
  const tbody = h("tbody", {}, h("tr", { class: "empty" }, h("td", { colspan: 4 }, "Loading…")));
  const sortHeader = (key) => {
    const active = key === sortBy;
    const next = active && direction === "ascending" ? "descending" : "ascending";
    return h(
      "th",
      { scope: "col", "aria-sort": active ? direction : "none" },
      h(
        "a",
        {
          class: "sort",
          href: link("/files", { path, sortBy: key, direction: next }),
          "aria-label": `Sort by ${SORTS[key].toLowerCase()}, ${next}`,
        },
        SORTS[key],
        active ? h("span", { "aria-hidden": "true" }, direction === "ascending" ? " ↑" : " ↓") : null,
      ),
    );
  };
  const table = h(
    "table",
    { class: "jobs-table files-table" },
    h("caption", { class: "sr-only" }, `Files in ${path}`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        sortHeader("PATH"),
        sortHeader("SIZE"),
        sortHeader("MODIFIED_AT"),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
      ),
    ),
    tbody,
  );
  const dropHint = h("div", { class: "drop-hint", "aria-hidden": "true" }, `Drop files to upload them to ${path}`);
  const dropZone = h("div", { class: "card table-card dropzone", "data-dropzone": true }, table, dropHint);
  const previous = h("button", { type: "button", class: "button", disabled: true }, "← Previous");
  const nextButton = h("button", { type: "button", class: "button", disabled: true }, "Next →");
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" }, "Page 1");
  const pager = h("nav", { class: "pager", "aria-label": "Pages of this folder", hidden: true }, previous, pageLabel, nextButton);
  const uploadList = h("ul", { class: "upload-list" });
  const clearButton = h("button", { type: "button", class: "button ghost small" }, "Clear finished");
  const uploadPanel = h(
    "section",
    { class: "card uploads", "aria-labelledby": "uploads-title", hidden: true },
    h("div", { class: "uploads-head" }, h("h2", { id: "uploads-title" }, "Uploads"), clearButton),
    uploadList,
  );

  root.append(
    h(
      "div",
      { class: "page-head files-head" },
      h("div", {}, breadcrumb, heading),
      h("div", { class: "button-row" }, folderButton, uploadButton, picker),
    ),
    problem,
    uploadPanel,
    dropZone,
    pager,
    status,
  );
  retrieveDrive(driveId, { signal })
    .then((drive) => {
      setText(driveCrumb, drive.specification.title);
      if (!parts.length) {
        setText(heading, drive.specification.title);
        title(drive.specification.title);
      }
    })
    .catch(() => {
      // The listing reports a drive that is not there.
    });

  function say(text) {
    status.textContent = text;
  }

  function showError(text) {
    problem.replaceChildren(alertBox("error", text));
  }

  function actionButton(label, name, onclick, extra = "") {
    return h("button", { type: "button", class: `button small ${extra}`.trim(), "aria-label": `${label} ${name}`, onclick }, label);
  }

  function row(entry) {
    const name = baseName(entry.id);
    const folder = entry.status.type === "DIRECTORY";
    const modified = entry.status.modifiedAt;
    return h(
      "tr",
      { "data-path": entry.id, "data-kind": entry.status.type },
      h(
        "td",
        { "data-label": "Name" },
        h(
          "span",
          { class: "cell" },
          fileIcon(entry.status.type),
          folder
            ? h("a", { class: "file-link", href: link("/files", { path: entry.id }) }, name)
            : h("span", { class: "file-name" }, name),
        ),
      ),
      h("td", { "data-label": "Size", class: "size" }, folder ? "—" : formatBytes(entry.status.sizeInBytes)),
      h("td", { "data-label": "Modified", title: formatDateTime(modified) }, formatRelative(modified)),
      h(
        "td",
        { class: "file-actions" },
        h(
          "span",
          { class: "button-row" },
          folder ? null : actionButton("Download", name, () => download(entry)),
          actionButton("Rename", name, () => rename(entry)),
          actionButton("Delete", name, () => remove(entry), "danger-text"),
        ),
      ),
    );
  }

  function show(page) {
    lastPage = page;
    tbody.replaceChildren(
      ...(page.items.length
        ? page.items.map(row)
        : [
            h(
              "tr",
              { class: "empty" },
              h("td", { colspan: 4 }, pageIndex ? "Nothing more here." : "This folder is empty. Drop files here, or use Upload files."),
            ),
          ]),
    );
    previous.disabled = pageIndex === 0;
    nextButton.disabled = !page.next;
    setText(pageLabel, `Page ${pageIndex + 1}`);
    pager.hidden = pageIndex === 0 && !page.next;
  }

  async function load() {
    const mine = ++generation;
    try {
      const page = await browseFiles(
        { path, itemsPerPage: PAGE_SIZE, next: cursors[pageIndex], sortBy, sortDirection: direction },
        { signal },
      );
      if (mine !== generation || signal.aborted) return;
      problem.replaceChildren();
      show(page);
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      tbody.replaceChildren();
      const missing = error instanceof ApiError && error.status === 404;
      showError(missing ? `${path} could not be opened: ${error.why}` : errorText(error));
    }
  }

  // ---- Actions ----

  async function download(entry) {
    try {
      const url = await createDownload(entry.id);
      const anchor = h("a", { href: url, download: baseName(entry.id), hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      say(`Downloading ${baseName(entry.id)}.`);
    } catch (error) {
      showError(`${baseName(entry.id)} could not be downloaded: ${errorText(error)}`);
    }
  }

  async function rename(entry) {
    const old = baseName(entry.id);
    const name = await askName({
      title: `Rename ${old}`,
      label: "New name",
      initial: old,
      submitLabel: "Rename",
      action: (fresh) => (fresh === old ? null : moveFile(entry.id, childPath(parentPath(entry.id), fresh))),
    });
    if (name !== null && name !== old) {
      say(`Renamed ${old} to ${name}.`);
      load();
    }
  }

  async function remove(entry) {
    const name = baseName(entry.id);
    const forGood = inTrash;
    const done = await confirmAction({
      title: forGood ? `Delete ${name}?` : `Move ${name} to the Trash?`,
      text: forGood
        ? `${name} will be deleted for good${entry.status.type === "DIRECTORY" ? ", with everything in it" : ""}.`
        : `${name} goes to the Trash folder of this drive, where it can be restored or deleted for good.`,
      confirmLabel: forGood ? "Delete for good" : "Move to Trash",
      action: () => trashFile(entry.id),
    });
    if (done) {
      say(forGood ? `Deleted ${name}.` : `Moved ${name} to the Trash.`);
      load();
    }
  }

  async function newFolder() {
    const name = await askName({
      title: "New folder",
      label: "Folder name",
      submitLabel: "Create folder",
      action: (fresh) => createFolder(childPath(path, fresh)),
    });
    if (name !== null) {
      say(`Created the folder ${name}.`);
      load();
    }
  }

  // ---- Uploads: picker, drag and drop, progress ----

  function uploadRow(item) {
    const percent = item.size ? Math.floor((100 * item.sent) / item.size) : item.state === "done" ? 100 : 0;
    const words = {
      waiting: "Waiting",
      uploading: `${percent} %`,
      done: "Uploaded",
      failed: "Failed",
    }[item.state];
    return h(
      "li",
      { "data-upload": item.name, "data-state": item.state },
      h(
        "div",
        { class: "upload-line" },
        h("span", { class: "upload-name" }, item.name),
        h("span", { class: "muted upload-where" }, ` to ${item.folder}`),
        h("span", { class: "upload-state" }, `${words} · ${formatBytes(item.sent)} of ${formatBytes(item.size)}`),
      ),
      h("progress", { max: item.size || 1, value: item.size ? item.sent : percent ? 1 : 0, "aria-label": `Upload of ${item.name}` }),
      item.state === "failed" ? h("p", { class: "field-error", role: "alert" }, item.why) : null,
    );
  }

  function drawUploads() {
    uploadPanel.hidden = uploads.items.length === 0;
    uploadList.replaceChildren(...uploads.items.map(uploadRow));
    clearButton.hidden = uploads.busy && uploads.items.every((i) => i.state !== "done" && i.state !== "failed");
  }

  uploads.subscribe((item) => {
    drawUploads();
    if (item?.state === "done" && item.folder === path) load();
    if (item?.state === "done") say(`Uploaded ${item.name}.`);
    if (item?.state === "failed") say(`${item.name} was not uploaded: ${item.why}`);
  }, signal);
  drawUploads();

  function addFiles(files) {
    if (files.length) uploads.add([...files], path);
  }

  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  let depth = 0;
  dropZone.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    dropZone.classList.add("dragging");
  });
  dropZone.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  dropZone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) dropZone.classList.remove("dragging");
  });
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    dropZone.classList.remove("dragging");
    const items = [...(event.dataTransfer.items ?? [])];
    const folders = items.filter((item) => item.webkitGetAsEntry?.()?.isDirectory).length;
    const files = items.length
      ? items.filter((item) => item.kind === "file" && !item.webkitGetAsEntry?.()?.isDirectory).map((item) => item.getAsFile())
      : [...event.dataTransfer.files];
    if (folders) showError("Folders cannot be dropped here: open the folder and drop the files it holds.");
    addFiles(files.filter(Boolean));
  });
  uploadButton.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    addFiles(picker.files);
    picker.value = "";
  });
  clearButton.addEventListener("click", () => uploads.clear());
  folderButton.addEventListener("click", newFolder);

  // ---- Paging ----
  previous.addEventListener("click", () => {
    if (pageIndex === 0) return;
    pageIndex -= 1;
    load();
  });
  nextButton.addEventListener("click", () => {
    if (!lastPage?.next) return;
    cursors[pageIndex + 1] = lastPage.next;
    pageIndex += 1;
    load();
  });

  replaceLink(link("/files", { path, sortBy: sortBy === "PATH" ? null : sortBy, direction: direction === "ascending" ? null : direction }));
  load();
}
