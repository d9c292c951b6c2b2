"""A gunicorn worker that serves HTTP with waitress: a slow client costs a socket, not a thread.

gunicorn's own workers hand a connection to a thread (gthread) or the whole process (sync) before its
request has arrived, and that thread then blocks until the last header line and body byte are in:
20 connections sending one header line per second held all 8 threads of `tierbot serve` (2 workers
x 4 threads) and /healthz and /tier went unanswered for as long as they lasted. waitress reads and
buffers each request in one I/O loop (select/poll) and gives a thread only a complete request, so
trickling headers or bodies hold nothing but their socket. gunicorn stays the process manager:
pre-forked workers, restarts, graceful reloads and shutdowns, `--workers`, and the fork after which
each worker builds its own services. Measured numbers are in the README ("Serving").

    gunicorn -k bot.slack.worker.WaitressWorker -w 2 --threads 4 'bot.slack.wsgi:app()'
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from bot.config import get_settings

# Seconds of silence after which a connection is closed (an idle keep-alive one, or a request that
# stopped arriving); Slack sends each request in one go. waitress checks every 30 s, so at most 60.
CHANNEL_TIMEOUT = 30
# Slack's request headers are ~1 KB; 64 KiB bounds what a header flood buffers per connection.
MAX_HEADER_BYTES = 64 * 1024
# How long the I/O loop waits for an event before it tells the arbiter it is alive (gunicorn kills a
# worker that stays silent for `--timeout`, 30 s) and looks at the shutdown flag.
LOOP_TICK = 1.0
# waitress logs "Task queue depth is N" for every request that waits for a thread: thousands of
# lines a second in a burst (every request under wrk's 8 connections). One line per minute still
# says the workers are saturated.
QUEUE_WARNING_EVERY = 60.0


class _OncePer(logging.Filter):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.next = 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now < self.next:
            return False
        self.next = now + self.seconds
        return True


class WaitressWorker(Worker):  # type: ignore[misc, unused-ignore]  # gunicorn ships no type hints
    def run(self) -> None:
        logging.getLogger("waitress.queue").addFilter(_OncePer(QUEUE_WARNING_EVERY))
        socket_map: dict[int, Any] = {}
        create_server(
            self.wsgi,
            map=socket_map,
            sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads,
            backlog=self.cfg.backlog,
            # gunicorn's knob for async workers (default 1,000 per worker); idle connections cost a
            # file descriptor and a few KB each.
            connection_limit=self.cfg.worker_connections,
            channel_timeout=CHANNEL_TIMEOUT,
            max_request_header_size=MAX_HEADER_BYTES,
            # waitress answers 413 itself once a body passes the limit (it buffers bodies before the
            # app sees them); bot.slack.guard applies the same limit under any other server.
            max_request_body_size=get_settings().max_body_bytes,
            # select() cannot watch file descriptors numbered 1,024 or more.
            asyncore_use_poll=True,
        )
        servers = [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=LOOP_TICK, map=socket_map, use_poll=True, count=1)
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
        self._stop(servers, socket_map)

    def _stop(self, servers: list[Any], socket_map: dict[int, Any]) -> None:
        """Stop accepting, finish the requests already read (up to the graceful timeout), then close."""
        for server in servers:
            server.accepting = False
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline and any(
            channel.requests or channel.total_outbufs_len
            for server in servers
            for channel in list(server.active_channels.values())
        ):
            self.notify()
            wasyncore.loop(timeout=0.1, map=socket_map, use_poll=True, count=1)
        servers[0].task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(socket_map)
