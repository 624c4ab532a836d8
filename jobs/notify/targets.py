"""What a channel URL is and whether we may call it: the Apprise schemes we support, and the
private-address rule (a tenant admin aims these requests; they must not reach our network)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import apprise
from django.conf import settings
from django.utils.translation import gettext as _

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


class TargetRefused(Exception):
    """The URL is not a channel we send to. The message never contains the URL."""


@dataclass(frozen=True)
class Target:
    kind: str
    host: str  # the host we connect to, for aimed kinds; "" otherwise
    port: int | None


def parse(url: str) -> Target:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    kind = KINDS.get(scheme)
    if kind is None:
        raise TargetRefused(
            _("Unsupported channel type. Use one of: %(schemes)s.")
            % {"schemes": ", ".join(f"{s}://" for s in KINDS)}
        )
    if kind == "log":
        return Target(kind, "", None)
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise TargetRefused(_("This %(scheme)s:// URL is not valid.") % {"scheme": scheme})
    if kind not in AIMED:
        return Target(kind, "", None)
    host = getattr(plugin, "smtp_host", "") or getattr(plugin, "host", "") or ""
    if kind == "webhook":
        host = urlsplit(webhook_url(url)).hostname or ""
    if not host:
        raise TargetRefused(_("The URL names no host."))
    return Target(kind, host, getattr(plugin, "port", None))


def webhook_url(url: str) -> str:
    """json://… → http://…, jsons://… → https://…; we post webhooks ourselves."""
    scheme, rest = url.split("://", 1)
    return ("https" if scheme.lower() == "jsons" else "http") + "://" + rest


def check(target: Target) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses."""
    if not target.host or settings.NOTIFY_ALLOW_PRIVATE_TARGETS:
        return
    try:
        infos = socket.getaddrinfo(target.host, target.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(_("The host name does not resolve.")) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global or address.is_multicast:
            raise TargetRefused(
                _("The host resolves to a private, loopback or link-local address.")
            )


def checked(url: str) -> Target:
    target = parse(url)
    check(target)
    return target
