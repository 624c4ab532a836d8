"""What a channel URL is and whether we send to it: the Apprise schemes and URL parameters we
allow, one strict parser, and the private-address rule (a tenant admin aims these requests;
they must not reach our network).

The parser refuses what parsers disagree on (backslashes, spaces, control and non-ASCII
characters, two `@` in the authority, a port that is not 1–65535) and then checks that the
libraries that act on the URL read the same host: urllib3 (which connects our webhooks) and
Apprise (which builds every other request). Any disagreement refuses the URL. The address
check here gives the person a clear answer when they add a channel; the check that holds is the
outbound guard at connect time (jobs/upstream/connect.py).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from urllib.parse import parse_qsl

import apprise
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.util import parse_url

from jobs.lib.addresses import is_public
from jobs.notify import logmask

# scheme → channel kind. Slack, DingTalk, Feishu/Lark and WeCom always call their service's
# fixed host; email, webhooks and Teams workflows call the host in the URL (checked below).
KINDS = {
    "mailto": "email",
    "mailtos": "email",
    "json": "webhook",
    "jsons": "webhook",
    "slack": "slack",
    "workflow": "teams",
    "workflows": "teams",
    "dingtalk": "dingtalk",
    "feishu": "feishu",
    "lark": "feishu",
    "wecombot": "wecom",
    "log": "log",  # ours: the message goes to the server log (demo, tests)
}
AIMED = {"email", "webhook", "teams"}

# The URL parameters each kind may carry (lower case). Not allowed anywhere: `template` (makes
# Apprise fetch a URL or open a file), `verify=no`, timeouts, retries, overflow splitting,
# persistent storage, PGP key files and web key directory look-ups, Apprise's +/-/: headers.
# A webhook's query is the receiver's own (we post it ourselves), so it is not restricted.
PARAMETERS: dict[str, frozenset[str]] = {
    "email": frozenset({"to", "cc", "bcc", "from", "name", "reply", "mode", "smtp", "verify"}),
    "slack": frozenset({"to", "footer", "image", "blocks", "timestamp", "verify"}),
    "teams": frozenset(
        {"image", "wrap", "ver", "api-version", "pa", "powerautomate", "id", "verify"}
    ),
    "dingtalk": frozenset({"to", "token", "secret", "verify"}),
    "feishu": frozenset({"token", "verify"}),
    "wecom": frozenset({"key", "verify"}),
    "log": frozenset(),
}
TRUE = {"yes", "y", "true", "1", "on"}
MAX_URL = 2000

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_BAD_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]|[^\x00-\x7f]")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_IPV4 = re.compile(
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
_TOKEN_HOST = re.compile(r"[A-Za-z0-9._~-]{1,256}")


class TargetRefused(Exception):
    """The URL is not a channel we send to. The message never contains the URL."""


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    userinfo: str
    host: str  # lower case for names; an IPv6 literal without brackets
    port: int | None
    path: str  # from the first "/" after the authority, query and fragment excluded
    query: tuple[tuple[str, str], ...]
    fragment: str


@dataclass(frozen=True)
class Target:
    kind: str
    host: str  # the host we connect to, for aimed kinds; "" otherwise
    port: int | None


def split(url: str) -> ParsedURL:
    """The one parser for channel URLs (RFC 3986 shape, strict). Raises TargetRefused."""
    if len(url) > MAX_URL:
        raise TargetRefused(_("The URL is too long."))
    if _BAD_CHARACTERS.search(url):
        raise TargetRefused(
            _(
                "The URL holds spaces, backslashes, control or non-ASCII characters: "
                "percent-encode them."
            )
        )
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or not _SCHEME.fullmatch(scheme):
        raise TargetRefused(_("This is not a URL (scheme://…)."))
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, remainder = rest[:end], rest[end:]
    remainder, _hash, fragment = remainder.partition("#")
    path, _q, query = remainder.partition("?")
    if authority.count("@") > 1:
        raise TargetRefused(_("The URL's host part holds more than one @: percent-encode it."))
    userinfo, _at, hostport = authority.rpartition("@")
    host, port = _host_and_port(hostport)
    pairs = tuple((key.lower(), value) for key, value in parse_qsl(query, keep_blank_values=True))
    return ParsedURL(scheme, userinfo, host, port, path, pairs, fragment)


def _host_and_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        close = hostport.find("]")
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or not _IPV6.fullmatch(host.lower()):
            raise TargetRefused(_("The URL's IPv6 address is not valid."))
        host = host[1:-1].lower()
    else:
        host, colon, rest = hostport.partition(":")
        rest = colon + rest
    port = None
    if rest:
        digits = rest[1:]
        if not rest.startswith(":") or not digits.isdigit() or len(digits) > 5:
            raise TargetRefused(_("The URL's port is not a number from 1 to 65535."))
        port = int(digits)
        if not 1 <= port <= 65535:
            raise TargetRefused(_("The URL's port is not a number from 1 to 65535."))
    return host, port


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal (from brackets)
        try:
            socket.inet_pton(socket.AF_INET6, host)
        except OSError:
            return False
        return True
    return bool(_IPV4.fullmatch(host) or (_HOSTNAME.fullmatch(host) and len(host) <= 253))


def parse(url: str) -> Target:
    parsed = split(url)
    kind = KINDS.get(parsed.scheme)
    if kind is None:
        raise TargetRefused(
            _("Unsupported channel type. Use one of: %(schemes)s.")
            % {"schemes": ", ".join(f"{s}://" for s in KINDS)}
        )
    if kind == "log":
        return Target(kind, "", None)
    if kind == "webhook":
        return _webhook(url, parsed)
    _check_parameters(kind, parsed)
    if parsed.fragment and kind != "slack":  # Slack names a channel as #name
        raise TargetRefused(_("The URL holds a # part, which is not sent anywhere."))
    if kind in AIMED and not _valid_host(parsed.host.lower()):
        raise TargetRefused(_("The URL names no valid host."))
    if kind not in AIMED and not _TOKEN_HOST.fullmatch(parsed.host):
        raise TargetRefused(_("This %(scheme)s:// URL is not valid.") % {"scheme": parsed.scheme})
    with logmask.masking(url):  # Apprise logs what it parses
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise TargetRefused(_("This %(scheme)s:// URL is not valid.") % {"scheme": parsed.scheme})
    if kind not in AIMED:
        return Target(kind, "", None)
    plugin_host = (getattr(plugin, "host", "") or "").lower().strip("[]")
    port = getattr(plugin, "port", None)  # Apprise fills in the default when none is given
    if plugin_host != parsed.host.lower() or (parsed.port is not None and port != parsed.port):
        raise TargetRefused(_("The URL reads differently to different parsers; write it plainly."))
    host = getattr(plugin, "smtp_host", "") or plugin_host
    if not host or not _valid_host(host.lower()):
        raise TargetRefused(_("The URL names no valid host."))
    return Target(kind, host.lower(), getattr(plugin, "port", None))


def _webhook(url: str, parsed: ParsedURL) -> Target:
    if parsed.fragment or "#" in url:
        raise TargetRefused(_("The URL holds a # part, which is not sent anywhere."))
    if not _valid_host(parsed.host.lower()):
        raise TargetRefused(_("The URL names no valid host."))
    try:
        connects_to = parse_url(webhook_url(url))  # what requests/urllib3 will connect to
    except ValueError as exc:
        raise TargetRefused(_("The URL is not valid.")) from exc
    if (connects_to.host or "").lower().strip("[]") != parsed.host.lower() or (
        connects_to.port != parsed.port
    ):
        raise TargetRefused(_("The URL reads differently to different parsers; write it plainly."))
    return Target("webhook", parsed.host.lower(), parsed.port)


def _check_parameters(kind: str, parsed: ParsedURL) -> None:
    allowed = PARAMETERS[kind]
    for key, value in parsed.query:
        if key not in allowed:
            raise TargetRefused(
                _("The URL parameter “%(name)s” is not allowed here. Allowed: %(allowed)s.")
                % {"name": key[:40], "allowed": ", ".join(sorted(allowed)) or "—"}
            )
        if key == "verify" and value.strip().lower() not in TRUE:
            raise TargetRefused(_("Certificate checks cannot be switched off (verify=no)."))


def webhook_url(url: str) -> str:
    """json://… → http://…, jsons://… → https://…; we post webhooks ourselves."""
    scheme, rest = url.split("://", 1)
    return ("https" if scheme.lower() == "jsons" else "http") + "://" + rest


def check(target: Target) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses: the
    answer a person gets when adding a channel. (The guard checks again at connect time.)"""
    if not target.host or settings.NOTIFY_ALLOW_PRIVATE_TARGETS:
        return
    try:
        infos = socket.getaddrinfo(target.host, target.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(_("The host name does not resolve.")) from exc
    if not all(is_public(info[4][0]) for info in infos):
        raise TargetRefused(_("The host resolves to a private, loopback or link-local address."))


def checked(url: str) -> Target:
    target = parse(url)
    check(target)
    return target
