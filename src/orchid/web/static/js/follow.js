// jobs.follow over the WebSocket on /api/jobs, reconnecting when the connection drops.
//
// Every (re)connection starts with a message carrying `initialJob` and then replays the whole log
// from its start, so the caller must treat `initialJob` as "start over" (clear what it shows).

import { UNAUTHORIZED_EVENT, session } from "./api.js";

const MAX_BACKOFF_MS = 10_000;

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/jobs`;
}

/**
 * Follow job `jobId` until it is final or `signal` aborts.
 *
 * onMessage(payload): a JobsFollowResponse {initialJob, updates, log, newStatus}.
 * onConnection(state, why): "connecting" | "live" | "reconnecting" | "ended" (the job is final and
 * everything was received) | "failed" (the server refused the stream; `why` says why).
 */
export function followJob(jobId, { onMessage, onConnection, signal }) {
  let socket = null;
  let finished = false;
  let attempts = 0;
  let retryTimer = null;

  const connect = () => {
    onConnection(attempts === 0 ? "connecting" : "reconnecting");
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => {
      socket.send(
        JSON.stringify({
          call: "jobs.follow",
          streamId: "0",
          payload: { id: jobId },
          bearer: session.token,
        }),
      );
    });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "message") {
        attempts = 0;
        onConnection("live");
        onMessage(frame.payload);
      } else if (frame.type === "response") {
        finished = true;
        socket.close();
        if (frame.status === 200) {
          onConnection("ended");
        } else {
          if (frame.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
          onConnection("failed", frame.payload?.why ?? `the server answered ${frame.status}`);
        }
      }
      // {"ping": "pong"} keep-alives need no answer.
    });
    socket.addEventListener("close", () => {
      if (finished || signal.aborted) return;
      attempts += 1;
      onConnection("reconnecting");
      retryTimer = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempts));
    });
  };

  signal.addEventListener("abort", () => {
    finished = true;
    clearTimeout(retryTimer);
    socket?.close();
  });
  connect();
}
