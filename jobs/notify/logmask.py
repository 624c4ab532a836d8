"""Apprise logs URLs and payloads at debug level; a channel URL holds its secret. This filter
takes every secret-looking piece of the URLs being sent (registered around each send, for all
threads: Apprise may send from threads of its own) out of
each record of the `apprise` and urllib3 loggers, whatever level it is logged at."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from contextlib import contextmanager

MASK = "***"
_active: Counter[str] = Counter()  # secret pieces of the sends under way
_lock = threading.Lock()
_PIECES = re.compile(r"[/:@?&=#,+\s]+")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def pieces(url: str) -> list[str]:
    """The URL and each of its parts long enough to be a token, password or key."""
    if not url:
        return []
    found = {url, *(p for p in _PIECES.split(url) if len(p) >= 6)}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _USERINFO.sub(MASK + "@", text)


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            secrets = sorted(_active, key=len, reverse=True)
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), secrets)
            record.exc_info = None
        return True


@contextmanager
def masking(url: str):
    found = pieces(url)
    with _lock:
        _active.update(found)
    try:
        yield
    finally:
        with _lock:
            _active.subtract(found)
            for piece in found:
                if _active[piece] <= 0:
                    del _active[piece]


LOGGERS = ("apprise", "urllib3.connectionpool")  # urllib3 logs each request's path at DEBUG


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(SecretFilter())
