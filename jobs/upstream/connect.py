"""The outbound guard: every connection opened on a tenant's behalf is checked where it is made.

Checking a URL's text is not enough: parsers disagree (`json://127.0.0.1:1\\@pub.example/`),
plugins fetch what they are told, and a name can answer a public address to the check and
127.0.0.1 to the connect (DNS rebinding). So the check sits below every HTTP and SMTP library:
`socket.socket.connect` (and `connect_ex`) of this process. Outside a `guarded()` block it does
nothing; inside one, in that context (contextvars: threads that copy the context, as Apprise's
do, carry it along), each connect

- resolves a name at most once itself (libraries hand it the address they resolved) and
  connects to exactly the address it checked: no second lookup, so rebinding cannot land;
- refuses anything but a public unicast address (`is_public`) unless the policy allows private
  targets (the explicit opt-in: NOTIFY_ALLOW_PRIVATE_TARGETS, DRS_ALLOW_CUSTOM_ENDPOINTS);
- refuses Unix and other non-IP sockets;
- refuses once the block's deadline has passed, and registers the socket so the watchdog shuts
  it down at the deadline (a receiver that trickles bytes cannot keep a send thread alive).

Inside a guarded block requests never follows a redirect (any session, any plugin).

No Django here: the DRS client (jobs/drs) uses it through `ClientSettings.guard`.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import requests

from jobs.drs.deadline import WATCHDOG
from jobs.lib.addresses import is_public


class Refused(ConnectionRefusedError):
    """The guard refused a connection before any packet was sent. Its text names the address
    (ours to log), never the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EACCES, f"refused by the outbound guard: {reason}")
        self.guard_reason = reason


@dataclass(frozen=True)
class Policy:
    """`allow_private`: the operator's explicit opt-in for targets on internal addresses (the
    simulator on loopback, a mail relay in the LAN). `deadline`: a time.monotonic() value
    after which sockets are shut down and no new connection is made."""

    allow_private: bool = False
    deadline: float | None = None


class Guard:
    """One guarded block: its policy and the sockets it opened."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.deadline = policy.deadline  # read by the watchdog
        self.expired = False
        self.refused: list[str] = []  # what was refused, for the caller's message
        self._sockets: list[socket.socket] = []
        self._open = True
        self._lock = threading.Lock()

    def admit(self, sock: socket.socket, address):
        """The address to connect to, checked; raises Refused."""
        if self.expired:
            raise self._refuse("the send's deadline has passed")
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            raise self._refuse("not an IP socket")
        host, port, *rest = address
        resolved = _literal(host)
        if resolved is None:  # a name handed to connect(): resolved here, once
            resolved = self._resolve_once(sock, host, port)
        if not self.policy.allow_private and not is_public(resolved):
            raise self._refuse(f"{resolved} is not a public address")
        with self._lock:
            if self._open:
                self._sockets.append(sock)
        return (resolved, port, *rest)

    def _resolve_once(self, sock: socket.socket, host: str, port: int) -> str:
        try:
            infos = socket.getaddrinfo(host, port, sock.family, sock.type)
        except (OSError, UnicodeError) as exc:
            raise self._refuse("the name does not resolve") from exc
        addresses = [info[4][0] for info in infos]
        if not addresses:
            raise self._refuse("the name does not resolve")
        if self.policy.allow_private:
            return addresses[0]
        public = [a for a in addresses if is_public(a)]
        if len(public) != len(addresses):  # one internal answer is enough to refuse the name
            raise self._refuse(f"the name resolves to {addresses[0]}, not a public address")
        return public[0]

    def _refuse(self, reason: str) -> Refused:
        self.refused.append(reason)
        return Refused(reason)

    def expire(self) -> None:
        """At the deadline: shut down every socket of this block (a blocked read returns)."""
        with self._lock:
            if not self._open:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            self._open = False
            self._sockets = []


def _literal(host) -> str | None:
    if not isinstance(host, str):
        return None
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


_current: ContextVar[Guard | None] = ContextVar("outbound_guard", default=None)


def current() -> Guard | None:
    return _current.get()


@contextmanager
def guarded(policy: Policy) -> Iterator[Guard]:
    """Connections made in this context (and contexts copied from it) are checked."""
    guard = Guard(policy)
    token = _current.set(guard)
    if policy.deadline is not None:
        WATCHDOG.watch(guard)
    try:
        yield guard
    finally:
        _current.reset(token)
        guard.close()


def refusal(exc: BaseException) -> str:
    """The guard's reason somewhere in the chain requests and urllib3 wrap around it, or ""."""
    pending, seen = [exc], 0
    while pending and seen < 30:
        item = pending.pop()
        seen += 1
        if isinstance(item, Refused):
            return item.guard_reason
        pending += [a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]
        pending += [
            e
            for e in (getattr(item, "reason", None), item.__cause__, item.__context__)
            if isinstance(e, BaseException)
        ]
    return ""


# -- the hooks -----------------------------------------------------------------------------------

# The connects underneath; looked up at call time, so a test can put a tripwire there.
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _connect(sock: socket.socket, address) -> None:
    guard = _current.get()
    if guard is not None:
        address = guard.admit(sock, address)
    return _real_connect(sock, address)


def _connect_ex(sock: socket.socket, address) -> int:
    guard = _current.get()
    if guard is not None:
        try:
            address = guard.admit(sock, address)
        except Refused:
            return errno.EACCES
    return _real_connect_ex(sock, address)


def _no_redirect_in_guard(original):
    def get_redirect_target(session, response):
        return None if _current.get() is not None else original(session, response)

    get_redirect_target._outbound_guard = True
    return get_redirect_target


def install() -> None:
    """Idempotent; done on import."""
    if getattr(socket.socket.connect, "_outbound_guard", False):
        return
    _connect._outbound_guard = True
    _connect_ex._outbound_guard = True
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    target = requests.Session.get_redirect_target
    if not getattr(target, "_outbound_guard", False):
        requests.Session.get_redirect_target = _no_redirect_in_guard(target)


install()
