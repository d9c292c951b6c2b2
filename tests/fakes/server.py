"""A vendor API fake over real HTTP (ThreadingHTTPServer on 127.0.0.1, port 0), with failure injection.

Subclasses answer `handle(request)`; `fail(...)` makes the next matching calls answer an error status
(with the vendor's body and headers) or stall past the client's timeout. `served` counts records sent
and `busy` the seconds spent building answers, so a bench can compare with the fake's own rate.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    path: str  # a substring of the path
    status: int
    times: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (a timeout when longer than the client's)


Answer = tuple[int, dict[str, str], Any]


class FakeServer:
    def __init__(self) -> None:
        self.calls: list[Request] = []
        self.failures: list[Failure] = []
        self.served = 0
        self.busy = 0.0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                ctype = self.headers.get("Content-Type", "")
                if raw and "json" in ctype:
                    body: Any = json.loads(raw)
                elif raw:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                else:
                    body = None
                request = Request(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                status, headers, payload = fake.dispatch(request)
                data = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, path: str, status: int, times: int = 1, body: Any = None, **kw: Any) -> None:
        self.failures.append(Failure(path, status, times, body, **kw))

    def dispatch(self, request: Request) -> Answer:
        with self.lock:
            self.calls.append(request)
            failure = next((f for f in self.failures if f.path in request.path and f.times > 0), None)
            if failure is not None:
                failure.times -= 1
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status:
                return failure.status, dict(failure.headers), failure.body
        started = time.perf_counter()
        answer = self.handle(request)
        with self.lock:
            self.busy += time.perf_counter() - started
        return answer

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError

    def count(self, records: int) -> None:
        with self.lock:
            self.served += records

    def calls_to(self, path: str) -> list[Request]:
        return [c for c in self.calls if path in c.path]
