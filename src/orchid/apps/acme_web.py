"""acme-web-application: a tiny web server that runs as a job.

    python3 -m orchid.apps.acme_web --port N [--greeting TEXT]

It binds 127.0.0.1 (port 0 takes the port Orchid gives the job's web interface, $ORCHID_WEB_PORT,
or picks a free one), prints where it listens, then one line per request, each flushed at once so
a follower of the job's log sees it live. `GET /` (and `GET $ORCHID_WEB_BASE_PATH`, the path under
which Orchid's session proxy serves it) shows the greeting, the rank (ORCHID_RANK) and the job id
(ORCHID_JOB_ID). Beside the page, under the same base path:

    echo        any method: a JSON description of the request (method, path, headers, body size
                and SHA-256), to see what reaches the application; `echo?cookie=NAME=VALUE`
                also sets that cookie
    bytes?n=N   N bytes of zeros, streamed (downloads of any size)
    ws          a WebSocket that sends every message back

SIGTERM or SIGINT stops it with exit code 0.
Only the standard library is used, so it runs wherever python3 does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import signal
import socketserver
import struct
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

NAME = "acme-web-application"
DEFAULT_GREETING = "Hello from Orchid!"
CHUNK = 64 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

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
        self.bases = ("/", base_path) if base_path != "/" else ("/",)
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
    # Keep-alive, and the status line WebSocket clients require.
    protocol_version = "HTTP/1.1"

    def _route(self) -> str | None:
        """The path below the base path ('' for the page), or None outside it."""
        path = self.path.split("?", 1)[0]
        for base in sorted(self.server.bases, key=len, reverse=True):
            if path.startswith(base):
                return path[len(base) :]
        return None

    def do_GET(self) -> None:
        route = self._route()
        if route == "":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self._page().encode("utf-8"))
        elif route == "echo":
            self._echo()
        elif route == "bytes":
            self._bytes()
        elif route == "ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            websocket_echo(self)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def _other(self) -> None:
        if self._route() == "echo":
            self._echo()
        else:
            self.close_connection = True  # its body is left unread
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    do_POST = do_PUT = do_DELETE = do_PATCH = _other

    def _echo(self) -> None:
        digest = hashlib.sha256()
        size = 0
        for chunk in self._body():
            digest.update(chunk)
            size += len(chunk)
        described = {
            "method": self.command,
            "path": self.path,
            "headers": [[name.lower(), value] for name, value in self.headers.items()],
            "bodyBytes": size,
            "bodySha256": digest.hexdigest(),
        }
        query = urllib.parse.parse_qs(self.path.partition("?")[2])
        cookies = [("Set-Cookie", f"{c}; Path=/") for c in query.get("cookie", [])]
        self._send(HTTPStatus.OK, "application/json", json.dumps(described).encode(), cookies)

    def _body(self) -> Iterator[bytes]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                yield self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            chunk = self.rfile.read(min(left, CHUNK))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk

    def _bytes(self) -> None:
        query = urllib.parse.parse_qs(self.path.partition("?")[2])
        try:
            total = int(query.get("n", ["0"])[0])
        except ValueError:
            total = -1
        if total < 0:
            self._send(HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", b"n must be >= 0\n")
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        zeros = bytes(CHUNK)
        while total > 0:
            self.wfile.write(zeros[: min(total, CHUNK)])
            total -= CHUNK

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

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if isinstance(code, HTTPStatus) else code
        say(f"{self.command} {self.path} {status}")

    def log_message(self, format: str, *args: object) -> None:
        # Errors (bad request lines, timeouts) go to stderr, away from the request log.
        with _print_lock:
            print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)


def websocket_echo(handler: AcmeHandler) -> None:
    """Answer a WebSocket handshake (RFC 6455), then send every message back until a close."""
    key = handler.headers.get("Sec-WebSocket-Key", "")
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    handler.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    read = handler.rfile.read
    while True:
        head = read(2)
        if len(head) < 2:
            return
        opcode, masked, length = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", read(8))[0]
        mask = read(4) if masked else bytes(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(read(length)))
        if opcode == 0x9:  # ping
            opcode = 0xA
        elif opcode == 0xA:
            continue
        _send_frame(handler, head[0] & 0x80 | opcode, payload)
        if opcode == 0x8:  # close: echoed, then done
            return


def _send_frame(handler: AcmeHandler, first: int, payload: bytes) -> None:
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 2**16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    handler.wfile.write(header + payload)
    handler.wfile.flush()


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
