"""A process's copy of something many requests read and few changes: kept in memory until its
revision moves.

``ProcessSnapshot(load=…, revision=…, check_seconds=…)``: ``get()`` answers from memory. At most every
``check_seconds()`` seconds it asks ``revision()`` – one cheap query whose answer changes whenever
the data does – and calls ``load()`` again when the answer differs from the one it loaded at. So a
change made by any process reaches every process within that time. ``expire()`` makes the next
``get()`` ask at once: the process that made a change calls it on commit, the tests before each test.

Used for the point-in-grid index (``grids.locate``) and the dispatch rules (``dispatch.rulebook``).
"""
import math
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessSnapshot(Generic[T]):
    def __init__(self, *, load: Callable[[], T], revision: Callable[[], object], check_seconds: Callable[[], float]):
        self._load, self._revision, self._check_seconds = load, revision, check_seconds
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at_revision: object = None
        self._checked_at = -math.inf

    def get(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked_at < self._check_seconds():
            return self._value
        with self._lock:
            revision = self._revision()
            if self._value is None or revision != self._loaded_at_revision:
                self._value, self._loaded_at_revision = self._load(), revision
            self._checked_at = now
            return self._value

    def expire(self) -> None:
        self._checked_at = -math.inf
