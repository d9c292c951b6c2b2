"""Slow clients against `tierbot serve`: can /healthz and a signed /tier still answer?

    .venv/bin/python -m bench.slow_clients [--connections 20] [--seconds 20] [--no-compare]

Opens N connections that each send a request line and then one header line per second (never the
blank line that ends the headers), keeps them open for the given time, and meanwhile probes
`GET /healthz` and a signed `/tier acme` every half second, each on a new connection. Prints the
slowest and median answer of each probe and how many got no answer within 5 s. Target: every
probe answered within 1 s. With `--compare` (the default) the same runs against the set-up
`tierbot serve` used before (gunicorn gthread, 2 workers x 4 threads), one after the other.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret"
ROOT = Path(__file__).resolve().parent.parent
PROBE_TIMEOUT = 5.0


class SlowClients:
    """`n` connections to `base` that send one header line per second until closed."""

    def __init__(self, base: str, n: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.n = n
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for _ in range(self.n):
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: tierbot\r\n")
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        line = 0
        while not self._stop.wait(1.0):
            line += 1
            for sock in list(self.sockets):
                try:
                    sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
                except OSError:
                    self.sockets.remove(sock)
                    self.closed_by_server += 1

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def signed_tier(client: httpx.Client, base: str, query: str, secret: str) -> httpx.Response:
    body = urlencode(
        {
            "command": "/tier",
            "text": query,
            "user_id": "UBENCH",
            "channel_id": "CBENCH",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/r",
            "trigger_id": "t1",
            "api_app_id": "A1",
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
    }
    return client.post(base + "/slack/events", content=body, headers=headers)


@dataclass
class Probes:
    """Seconds each probe took to get a 200 (inf: an error or no answer within PROBE_TIMEOUT)."""

    healthz: list[float] = field(default_factory=list)
    tier: list[float] = field(default_factory=list)

    @property
    def slowest(self) -> float:
        return max(self.healthz + self.tier)

    def summary(self) -> str:
        def one(label: str, times: list[float]) -> str:
            answered = [t for t in times if t != float("inf")]
            median = statistics.median(answered) * 1000 if answered else float("nan")
            worst = max(times) * 1000
            return (
                f"{label} {len(times)} probes, median {median:.0f} ms, slowest {worst:.0f} ms, "
                f"{len(times) - len(answered)} unanswered"
            )

        return one("/healthz", self.healthz) + "; " + one("/tier", self.tier)


def probe_while(base: str, seconds: float, secret: str, query: str = "acme", every: float = 0.5) -> Probes:
    """Probe /healthz and a signed /tier every `every` seconds for `seconds`."""
    probes = Probes()
    # A new connection for every probe (no keep-alive), as a load balancer's health check or Slack's
    # next request would open; one client, so no probe pays for building a TLS context (~50 ms).
    client = httpx.Client(timeout=PROBE_TIMEOUT, limits=httpx.Limits(max_keepalive_connections=0))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        calls: list[tuple[list[float], Callable[[], httpx.Response]]] = [
            (probes.healthz, lambda: client.get(base + "/healthz")),
            (probes.tier, lambda: signed_tier(client, base, query, secret)),
        ]
        for times, call in calls:
            started = time.perf_counter()
            try:
                ok = call().status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append(time.perf_counter() - started if ok else float("inf"))
        time.sleep(every)
    client.close()
    return probes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{cmd[0]} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-compare", dest="compare", action="store_false")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tierbot-slow-"))
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "LOG_LEVEL": "WARNING",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "tierbot"), "sample-data"], env=env, check=True, capture_output=True)
    setups: dict[str, str | None] = {"tierbot serve (gunicorn + waitress workers, 2 x 4 threads)": None}
    if args.compare:
        setups["before: gunicorn gthread, 2 workers x 4 threads"] = "gthread"
    results: dict[str, tuple[Probes, Probes, int]] = {}
    for label, kind in setups.items():
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        if kind is None:
            cmd = [str(bin_dir / "tierbot"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        else:
            cmd = [str(bin_dir / "gunicorn"), "bot.slack.wsgi:app()", "-b", f"127.0.0.1:{port}"]
            cmd += [
                "-w",
                "2",
                "--threads",
                "4",
                "-k",
                "gthread",
                "--keep-alive",
                "5",
                "--log-level",
                "warning",
            ]
        proc = start(cmd, env, base)
        try:
            quiet = probe_while(base, 2, SECRET)
            with SlowClients(base, args.connections) as slow:
                time.sleep(1.5)  # let every slow connection reach the server and send a line
                loaded = probe_while(base, args.seconds - 1.5, SECRET)
                closed = slow.closed_by_server
        finally:
            stop(proc)
        results[label] = (quiet, loaded, closed)

    print(f"\n{args.connections} slow connections (one header line per second) for {args.seconds:.0f} s")
    for label, (quiet, loaded, closed) in results.items():
        verdict = "OK" if loaded.slowest <= 1.0 else "FAILS"
        print(f"{label}:")
        print(f"  before the slow clients: {quiet.summary()}")
        print(f"  with them open:          {loaded.summary()}  -> {verdict} (target: all within 1 s)")
        print(f"  slow connections closed by the server meanwhile: {closed}")


if __name__ == "__main__":
    main()
