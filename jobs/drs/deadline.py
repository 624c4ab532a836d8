"""A wall-clock limit on a whole HTTP exchange: connect, headers and every byte of the body.

Socket timeouts bound each read, not the exchange: a server sending one byte a second never
trips a ten-second read timeout. So every socket our connections use is registered with the
exchange running in its thread, and one watchdog thread shuts those sockets down when the
exchange's deadline passes; the blocked read then fails at once.

    with limit(deadline) as exchange:
        ... send, read the body ...
        exchange.close()  # before the connection can go back to the pool
    exchange.expired  # True if the watchdog cut it off
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()
_lock = threading.Lock()


class Exchange:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._open = True
        self._sockets: list[socket.socket] = []

    def add(self, sock: socket.socket) -> None:
        with _lock:
            if self._open:
                self._sockets.append(sock)
        if self.expired:
            _shutdown(sock)

    def close(self) -> None:
        """From now on the watchdog leaves these sockets alone (they may serve other calls)."""
        with _lock:
            self._open = False
            self._sockets = []

    def expire(self) -> None:
        with _lock:
            if not self._open:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to interrupt
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the process, asleep until the earliest deadline."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._heap: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def watch(self, exchange: Exchange) -> None:
        with self._wake:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (exchange.deadline, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="drs-deadline", daemon=True)
                self._thread.start()
            elif earliest is None or exchange.deadline < earliest:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].expire()


WATCHDOG = _Watchdog()


@contextmanager
def limit(deadline: float) -> Iterator[Exchange]:
    """Sockets used in this thread inside the block are shut down at `deadline`."""
    exchange = Exchange(deadline)
    outer = getattr(_local, "exchange", None)
    _local.exchange = exchange
    WATCHDOG.watch(exchange)
    try:
        yield exchange
    finally:
        exchange.close()
        _local.exchange = outer


def _register(sock: socket.socket | None) -> None:
    exchange = getattr(_local, "exchange", None)
    if exchange is not None and sock is not None:
        exchange.add(sock)


class _Watched:
    """A urllib3 connection whose sockets (new, TLS-wrapped or reused) join the exchange."""

    @property
    def sock(self) -> Any:
        return self.__dict__.get("_watched_sock")

    @sock.setter
    def sock(self, value: Any) -> None:
        self.__dict__["_watched_sock"] = value
        _register(value)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections the watchdog can cut off."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager
