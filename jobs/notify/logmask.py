"""Apprise logs URLs and payloads at debug level; a channel URL holds its secret. This filter
takes every secret-looking piece of the URL being sent (set per thread around the send) out of
each record of the `apprise` logger, whatever level it is logged at."""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager

MASK = "***"
_local = threading.local()
_PIECES = re.compile(r"[/:@?&=#,+\s]+")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def pieces(url: str) -> list[str]:
    """The URL and each of its parts long enough to be a token, password or key."""
    found = {url, *(p for p in _PIECES.split(url) if len(p) >= 6)}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _USERINFO.sub(MASK + "@", text)


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        secrets = getattr(_local, "secrets", None) or []
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
    previous = getattr(_local, "secrets", None)
    _local.secrets = pieces(url)
    try:
        yield
    finally:
        _local.secrets = previous


def install() -> None:
    logger = logging.getLogger("apprise")
    if not any(isinstance(f, SecretFilter) for f in logger.filters):
        logger.addFilter(SecretFilter())
