// Uploads with UCloud's CHUNKED protocol: files.createUpload, then the file's bytes in chunks of
// CHUNK_BYTES, each a POST of a slice of the File with the Chunked-Upload-* headers (the token
// authorises; no bearer). The server keeps a file out of sight until its last byte is on disk.
//
// The queue lives as long as the tab, not the page: moving to another folder (which renders the
// Files page again) does not stop what is being uploaded. Files go one at a time, in order.

import { ApiError } from "./api.js";
import { childPath, createUpload } from "./files-api.js";

/** What UCloud's web client sends per chunk (the server takes up to 32 MB by default). */
export const CHUNK_BYTES = 16_000_000;
const RETRIES = 3;

function answerOf(xhr) {
  try {
    return xhr.responseText ? JSON.parse(xhr.responseText) : null;
  } catch {
    return null;
  }
}

/** POST one chunk; resolves to the server's UploadProgress {offset, totalSize, complete, path}. */
function sendChunk(target, blob, offset, total, onSent) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", target.endpoint);
    xhr.setRequestHeader("Chunked-Upload-Token", target.token);
    xhr.setRequestHeader("Chunked-Upload-Offset", String(offset));
    xhr.setRequestHeader("Chunked-Upload-Total-Size", String(total));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => onSent(event.loaded));
    xhr.addEventListener("load", () => {
      const data = answerOf(xhr);
      if (xhr.status >= 200 && xhr.status < 300 && data) resolve(data);
      else reject(new ApiError(xhr.status, data?.why ?? `The server answered ${xhr.status}`, data?.errorCode ?? null));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "The connection to Orchid was lost during the upload.", "NETWORK")),
    );
    xhr.send(blob);
  });
}

/** Where an open upload stands (after a lost connection): {offset, ...}. */
async function whereIs(target) {
  const response = await fetch(target.endpoint, { headers: { "Chunked-Upload-Token": target.token } });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.why ?? "The upload was lost.", data?.errorCode ?? null);
  return data;
}

/**
 * Upload `file` (a File or Blob) to `path`, the full target path. `onProgress(bytesOnTheWay)` is
 * called as bytes leave the browser. Resolves to the path the file got; rejects with ApiError
 * (the server's `why`). A chunk lost on the way is sent again from where the server stands.
 */
export async function uploadFile(file, path, { onProgress = () => {}, conflictPolicy = "REJECT" } = {}) {
  const target = await createUpload(path, conflictPolicy);
  const total = file.size;
  let offset = 0;
  let failures = 0;
  for (;;) {
    const end = Math.min(total, offset + CHUNK_BYTES);
    let answer;
    try {
      answer = await sendChunk(target, file.slice(offset, end), offset, total, (sent) => onProgress(offset + sent));
    } catch (error) {
      if (error.errorCode !== "NETWORK" || ++failures > RETRIES) throw error;
      offset = (await whereIs(target)).offset;
      onProgress(offset);
      continue;
    }
    failures = 0;
    onProgress(answer.offset);
    if (answer.complete) return answer.path ?? path;
    if (answer.offset <= offset) throw new ApiError(0, "The upload stopped advancing.", "UPLOAD");
    offset = answer.offset;
  }
}

let counter = 0;

/** The tab's uploads: [{id, name, folder, size, sent, state, why, path}], state being
 * "waiting" | "uploading" | "done" | "failed". Listeners hear of every change. */
class UploadQueue {
  constructor() {
    this.items = [];
    this.listeners = new Set();
    this.running = false;
    window.addEventListener("beforeunload", (event) => {
      if (this.busy) event.preventDefault();
    });
  }

  get busy() {
    return this.items.some((item) => item.state === "waiting" || item.state === "uploading");
  }

  /** Call `listener(item | null)` on every change until `signal` aborts. */
  subscribe(listener, signal) {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }

  notify(item) {
    for (const listener of this.listeners) listener(item);
  }

  /** Queue files (a FileList or an array of File) for the folder `folder`. */
  add(files, folder) {
    for (const file of files) {
      counter += 1;
      this.items.push({ id: counter, file, name: file.name, folder, size: file.size, sent: 0, state: "waiting" });
    }
    this.notify(null);
    this.run();
  }

  /** Forget finished and failed uploads. */
  clear() {
    this.items = this.items.filter((item) => item.state === "waiting" || item.state === "uploading");
    this.notify(null);
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.nextWaiting(); item; item = this.nextWaiting()) {
        item.state = "uploading";
        this.notify(item);
        let last = 0;
        try {
          item.path = await uploadFile(item.file, childPath(item.folder, item.name), {
            onProgress: (sent) => {
              item.sent = Math.min(sent, item.size);
              // Every percent at most, so a large file does not redraw thousands of times.
              if (item.sent - last >= item.size / 100 || item.sent === item.size) {
                last = item.sent;
                this.notify(item);
              }
            },
          });
          item.sent = item.size;
          item.state = "done";
        } catch (error) {
          item.state = "failed";
          item.why = error instanceof ApiError ? error.why : String(error);
        }
        item.file = null; // the File is not needed any more
        this.notify(item);
      }
    } finally {
      this.running = false;
    }
  }

  nextWaiting() {
    return this.items.find((item) => item.state === "waiting");
  }
}

export const uploads = new UploadQueue();
