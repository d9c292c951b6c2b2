"""Read the next page while the current one is written: the source's latency and the database's
work overlap instead of adding up (a full HubSpot sync spends about a third of its time waiting
for pages). At most DEPTH pages wait in memory; an error in the reader surfaces in the writer at
the point it happened, after the pages before it were applied."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
DEPTH = 2
_DONE = object()


def prefetch(pages: Iterator[T], depth: int = DEPTH) -> Iterator[T]:
    box: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        box.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(_DONE)
        except BaseException as exc:  # handed to the writer's thread
            box.put(exc)

    reader = threading.Thread(target=read, name="sync-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while reader.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                reader.join(0.05)
