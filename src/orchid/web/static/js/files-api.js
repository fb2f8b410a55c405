// Drives and files through the public API (/api/files/collections, /api/files), and UCloud paths.
//
// A path is "/<drive id>/<path inside the drive>"; the drive root is "/<drive id>".

import { call } from "./api.js";

/** "/12/a/b.txt" -> ["12", "a", "b.txt"]. */
export function pathParts(path) {
  return String(path ?? "")
    .split("/")
    .filter((part) => part !== "" && part !== ".");
}

/** The last component of a path ("b.txt"), or the drive id for a drive root. */
export function baseName(path) {
  const parts = pathParts(path);
  return parts[parts.length - 1] ?? "";
}

/** "/12/a/b.txt" -> "/12/a"; a drive root is its own parent. */
export function parentPath(path) {
  const parts = pathParts(path);
  return `/${parts.slice(0, Math.max(1, parts.length - 1)).join("/")}`;
}

export function childPath(folder, name) {
  return `${folder.replace(/\/+$/, "")}/${name}`;
}

/** The drive id a path starts with. */
export function driveOf(path) {
  return pathParts(path)[0] ?? "";
}

/** Every drive of the user (their Home drive is made on first use), Home first. */
export async function browseDrives(options) {
  const drives = [];
  let next = null;
  do {
    const page = await call("GET", "/api/files/collections/browse", {
      ...options,
      query: { itemsPerPage: 250, next },
    });
    drives.push(...page.items);
    next = page.next;
  } while (next);
  return drives;
}

export function retrieveDrive(id, options) {
  return call("GET", "/api/files/collections/retrieve", { ...options, query: { id } });
}

/** One page (PageV2) of a folder. sortBy: PATH | SIZE | MODIFIED_AT; direction: ascending | descending. */
export function browseFiles({ path, itemsPerPage, next, sortBy, sortDirection }, options) {
  return call("GET", "/api/files/browse", {
    ...options,
    query: { path, itemsPerPage, next, sortBy, sortDirection, includeSizes: true, includeTimestamps: true },
  });
}

export function retrieveFile(id, options) {
  return call("GET", "/api/files/retrieve", { ...options, query: { id } });
}

export function createFolder(id, conflictPolicy = "REJECT") {
  return call("POST", "/api/files/folder", { body: { items: [{ id, conflictPolicy }] } });
}

export function moveFile(oldId, newId, conflictPolicy = "REJECT") {
  return call("POST", "/api/files/move", { body: { items: [{ oldId, newId, conflictPolicy }] } });
}

/** Move to the drive's Trash folder (what is already in the Trash is deleted for good). */
export function trashFile(id) {
  return call("POST", "/api/files/trash", { body: { items: [{ id }] } });
}

/** files.createUpload for one file: resolves to {endpoint, protocol, token}. */
export async function createUpload(id, conflictPolicy = "REJECT") {
  const body = { items: [{ id, type: "FILE", supportedProtocols: ["CHUNKED"], conflictPolicy }] };
  const answer = await call("POST", "/api/files/upload", { body });
  return answer.responses[0];
}

/** files.createDownload for one file: resolves to the URL that serves its bytes (no bearer needed). */
export async function createDownload(id) {
  const answer = await call("POST", "/api/files/download", { body: { items: [{ id }] } });
  return answer.responses[0].endpoint;
}
