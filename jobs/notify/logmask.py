"""Apprise logs URLs and payloads at debug level, and warns with tokens in the text; a channel
URL holds its secret. This filter, on the `apprise` and urllib3 loggers, cleans each of their
records, whatever level it is logged at:

- every secret-looking piece of the URLs being parsed or sent (registered around each parse
  and send, for all threads) is masked;
- and, for what was never registered: any URL keeps only its scheme and host, and any long
  token-like word (16+ letters and digits with both in it) is masked.
"""

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


_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,31}://)([^\s'\"<>]*)", re.IGNORECASE)
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}"
)


def _url_host_only(match: re.Match) -> str:
    rest = match.group(2)
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    tail = MASK if len(rest) > len(authority) or "@" in authority else ""
    return f"{match.group(1)}{host}{'/' + tail if tail else ''}"


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(MASK + "@", text)
    text = _URL.sub(_url_host_only, text)
    return _TOKEN.sub(MASK, text)


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


# urllib3 logs each request's path at DEBUG, and the failed URL when it retries. A logger's
# filters do not see its children's records: each logger that can print a URL is named.
LOGGERS = (
    "apprise",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.util.retry",
    "smtplib",
)


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(SecretFilter())
