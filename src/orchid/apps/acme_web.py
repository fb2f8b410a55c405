"""acme-web-application: a tiny web server that runs as a job.

    python3 -m orchid.apps.acme_web --port N [--greeting TEXT]

It binds 127.0.0.1 (port 0 takes the port Orchid gives the job's web interface, $ORCHID_WEB_PORT,
or picks a free one), prints where it listens, then one line per request, each flushed at once so
a follower of the job's log sees it live. `GET /` (and `GET $ORCHID_WEB_BASE_PATH`, the path under
which Orchid's session proxy serves it) shows the greeting, the rank (ORCHID_RANK) and the job id
(ORCHID_JOB_ID). SIGTERM or SIGINT stops it with exit code 0.
Only the standard library is used, so it runs wherever python3 does.
"""

from __future__ import annotations

import argparse
import html
import os
import signal
import socketserver
import sys
import threading
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

NAME = "acme-web-application"
DEFAULT_GREETING = "Hello from Orchid!"

_print_lock = threading.Lock()


def say(line: str) -> None:
    """Print one whole line to stdout and flush it (request threads must not interleave)."""
    with _print_lock:
        print(line, flush=True)


class AcmeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, port: int, greeting: str, rank: str, job_id: str, base_path: str = "/"
    ) -> None:
        self.greeting = greeting
        self.pages = {"/", base_path}
        self.rank = rank
        self.job_id = job_id
        super().__init__(("127.0.0.1", port), AcmeHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can hang on a machine with slow
        # DNS; the name is only used in CGI environments, so the address is enough.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class AcmeHandler(BaseHTTPRequestHandler):
    server: AcmeServer
    server_version = "acme-web/1.0"

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in self.server.pages:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
            return
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", self._page().encode("utf-8"))

    def _page(self) -> str:
        greeting = html.escape(self.server.greeting)
        rank = html.escape(self.server.rank)
        job_id = html.escape(self.server.job_id)
        return (
            "<!doctype html>\n"
            f"<html><head><meta charset='utf-8'><title>{NAME}</title></head>\n"
            f"<body><h1>{greeting}</h1>\n"
            f"<p>Served by rank <span id='rank'>{rank}</span> "
            f"of job <span id='job'>{job_id}</span>.</p></body></html>\n"
        )

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if isinstance(code, HTTPStatus) else code
        say(f"{self.command} {self.path} {status}")

    def log_message(self, format: str, *args: object) -> None:
        # Errors (bad request lines, timeouts) go to stderr, away from the request log.
        with _print_lock:
            print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0-65535)")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m orchid.apps.acme_web", description=__doc__)
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="TCP port; 0 takes $ORCHID_WEB_PORT, or picks a free one without it",
    )
    parser.add_argument("--greeting", default=DEFAULT_GREETING, help="the text shown on the page")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Installed before binding, so a signal that arrives early is not lost.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    port = args.port or _port(os.environ.get("ORCHID_WEB_PORT") or "0")
    server = AcmeServer(
        port,
        args.greeting,
        rank=os.environ.get("ORCHID_RANK", "unknown"),
        job_id=os.environ.get("ORCHID_JOB_ID", "unknown"),
        base_path=os.environ.get("ORCHID_WEB_BASE_PATH") or "/",
    )
    # serve_forever runs on a thread because shutdown() must be called from another thread than
    # the one serving; the main thread only waits for a signal.
    serving = threading.Thread(target=server.serve_forever, name="acme-web", daemon=True)
    serving.start()
    say(f"{NAME} listening on http://127.0.0.1:{server.server_port}")
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
    say(f"{NAME} stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
