"""The hostile-outbound suite's ground: production defaults (no private targets, no custom DRS
endpoints), name resolution answered by the test (attacker-chosen addresses, a TTL-0 rebinding
name), listeners on 127.0.0.1 that count what reaches them, and a tripwire under every
connect() of the process: a connection to anything but loopback fails and is recorded, so no
test here can send a packet off the machine, whatever the code under test does."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from jobs.upstream import connect
from tests.notify.conftest import (  # noqa: F401  (fixtures shared with the notify suite)
    SECRET_URL_TOKEN,
    Receiver,
    drain,
    ntenant,
    people_in,
    receiver,
    smtp,
    transition,
    webhook,
)

PUBLIC = "93.184.216.34"  # what a public name answers here; the tripwire stops any connect to it
PUBLIC6 = "2606:2800:220:1:248:1893:25c8:1946"


@pytest.fixture(autouse=True)
def _production_defaults(settings):
    settings.NOTIFY_ALLOW_PRIVATE_TARGETS = False
    settings.DRS_ALLOW_CUSTOM_ENDPOINTS = False
    settings.NOTIFY_TIMEOUT = 1.0
    settings.NOTIFY_RETRY_SECONDS = 0.05
    settings.NOTIFY_MAX_RETRY_SECONDS = 0.2
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.DASHBOARD_BASE_URL = "https://dash.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Tripwire:
    """Every connect() that got past the guard, by address. Loopback goes through (the
    listeners are there); anything else is refused here and recorded."""

    def __init__(self) -> None:
        self.attempts: list[tuple] = []
        self.off_machine: list[tuple] = []
        self.lock = threading.Lock()

    def check(self, address) -> None:
        if not isinstance(address, tuple):
            return  # a Unix socket: the guard refuses those itself
        with self.lock:
            self.attempts.append(address[:2])
        try:
            loopback = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            with self.lock:
                self.off_machine.append(address[:2])
            raise OSError(f"tripwire: {address[0]} is off this machine")

    def reached(self, port: int) -> list[tuple]:
        return [a for a in self.attempts if a[1] == port]


@pytest.fixture(autouse=True)
def tripwire(monkeypatch):
    wire = Tripwire()
    real, real_ex = connect._real_connect, connect._real_connect_ex

    def guarded_connect(sock, address):
        wire.check(address)
        return real(sock, address)

    def guarded_connect_ex(sock, address):
        wire.check(address)
        return real_ex(sock, address)

    monkeypatch.setattr(connect, "_real_connect", guarded_connect)
    monkeypatch.setattr(connect, "_real_connect_ex", guarded_connect_ex)
    yield wire
    assert not wire.off_machine, f"connections off the machine were attempted: {wire.off_machine}"


class Resolver:
    """socket.getaddrinfo as the attacker's DNS answers it. `names`: name → list of addresses,
    or a callable returning one (called per lookup: TTL 0). Unknown names do not resolve;
    IP literals resolve to themselves. No query leaves the machine."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {}
        self.lookups: list[str] = []
        self.real = socket.getaddrinfo

    def rebinding(
        self, name: str, first: str = PUBLIC, then: str = "127.0.0.1", times: int = 1
    ) -> None:
        """`first` for the first `times` lookups (the checks), `then` ever after."""
        answers = iter([first] * times)
        self.names[name] = lambda: [next(answers, then)]

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.lookups.append(name)
        if isinstance(port, int) and not -(2**63) <= port < 2**63:
            raise OverflowError("Python int too large to convert to C long")  # as the real one
        entry = self.names.get(name.lower().rstrip("."))
        if entry is None:
            try:
                ipaddress.ip_address(name.split("%")[0])
            except ValueError:
                if name == "localhost":
                    return self.real("127.0.0.1", port, family, type, proto, flags)
                raise socket.gaierror(socket.EAI_NONAME, f"{name}: not in the test's DNS") from None
            return self.real(name, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        addresses = entry() if callable(entry) else entry
        port = int(port or 0) if not isinstance(port, str) or port.isdigit() else 0
        out = []
        for address in addresses:
            v6 = ":" in address
            if family not in (0, socket.AF_INET6 if v6 else socket.AF_INET):
                continue
            sockaddr = (address, port, 0, 0) if v6 else (address, port)
            out.append(
                (
                    socket.AF_INET6 if v6 else socket.AF_INET,
                    type or socket.SOCK_STREAM,
                    6,
                    "",
                    sockaddr,
                )
            )
        if not out:
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: no address of that family")
        return out


@pytest.fixture
def dns(monkeypatch):
    resolver = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    from jobs.tenants import endpoints as guard

    guard._resolved.clear()
    return resolver


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def count(self, settle: float = 0.3) -> int:
        time.sleep(settle)
        return self.connections

    def stop(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    made: list[Listener] = []

    def make() -> Listener:
        made.append(Listener())
        return made[-1]

    yield make
    for item in made:
        item.stop()
