// A shell session of a running job over the shell WebSocket (spec/sessions-api.md §6): opened with
// jobs.openInteractiveSession (SHELL), then `initialize` with the session identifier and the
// terminal's size, `input` for keystrokes, `resize` when the terminal changes size. Output arrives
// as `data` messages; the socket closes when the shell exits or the job ends, after a final
// `response` frame that says which (200 with the exit code, 410 SESSION_ENDED, or a refusal).

import { openSession } from "./api.js";

function socketUrl(opened) {
  const base = opened.session.domainOverride || opened.providerDomain || location.origin;
  const url = new URL(`/ucloud/${encodeURIComponent(opened.providerId)}/websocket`, base);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  return url.href;
}

/**
 * Open a shell in rank `rank` of job `jobId`, `cols` x `rows` characters.
 *
 * Callbacks: onOpen() once the shell runs; onData(text) for its output; onClose(reason) once, when
 * the connection is over, with reason {kind: "exited", exitCode} | {kind: "ended"} (the job ended)
 * | {kind: "error", why}. Resolves to {input(text), resize(cols, rows), close()}; rejects with the
 * API's error when the session cannot be opened.
 */
export async function openShell(jobId, rank, { cols, rows, onOpen, onData, onClose, signal }) {
  const opened = await openSession(jobId, rank, "SHELL", { signal });
  const socket = new WebSocket(socketUrl(opened));
  let streams = 0;
  let reason = null;
  let closed = false;

  const send = (payload, streamId = String(++streams)) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ call: "jobs.compute.shell.open", streamId, payload }));
    }
  };
  const finish = (fallback) => {
    if (closed) return;
    closed = true;
    onClose(reason ?? fallback);
  };

  socket.addEventListener("open", () => {
    send({ type: "initialize", sessionIdentifier: opened.session.sessionIdentifier, cols, rows }, "0");
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "message") {
      if (frame.payload?.type === "data") onData(frame.payload.data);
      else if (frame.payload?.type === "initialize") onOpen();
    } else if (frame.type === "response" && frame.streamId === "0") {
      if (frame.status === 200) reason = { kind: "exited", exitCode: frame.payload?.exitCode };
      else if (frame.status === 410) reason = { kind: "ended" };
      else reason = { kind: "error", why: frame.payload?.why ?? `the server answered ${frame.status}` };
    } else if (frame.type === "response" && frame.status >= 400) {
      // A refused input or resize: the shell goes on.
      console.warn("shell: a request was refused:", frame.payload?.why);
    }
  });
  socket.addEventListener("close", () => finish({ kind: "error", why: "the connection was lost" }));
  signal?.addEventListener("abort", () => socket.close());

  return {
    input: (data) => send({ type: "input", data }),
    resize: (newCols, newRows) => send({ type: "resize", cols: newCols, rows: newRows }),
    close: () => {
      reason ??= { kind: "closed" };
      socket.close();
    },
  };
}
