"""Upstream text (job names, error lines, even tenant names) is hostile: each format gets it
inert. Common to all: no control characters or line breaks, no working URL or domain (a
zero-width space breaks auto-linking), no mention (`@all`, `<!channel>`, `<at …>`)."""

from __future__ import annotations

import re

from django.utils.html import escape as html_escape

ZWSP = "\u200b"
MAX_LENGTH = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9]):(?=//)")
_DOT = re.compile(r"(?<=\w)\.(?=\w)")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def defang(value: str) -> str:
    text = _CONTROL.sub(" ", str(value)).strip()
    if len(text) > MAX_LENGTH:
        text = text[: MAX_LENGTH - 1] + "…"
    text = _SCHEME.sub(":" + ZWSP, text)
    text = _DOT.sub("." + ZWSP, text)
    text = text.replace("](", "]" + ZWSP + "(")  # a markdown link, whatever converts it later
    return text.replace("@", "@" + ZWSP).replace("www", "w" + ZWSP + "ww")


def plain(value: str) -> str:
    """Plain-text chat messages (DingTalk, Feishu/Lark, WeCom) and email text parts: Feishu
    reads `<at user_id="all">` even in text, so no angle brackets either."""
    return defang(value).replace("<", "‹").replace(">", "›")


def html(value: str) -> str:
    return html_escape(defang(value))


def slack(value: str) -> str:
    """Slack mrkdwn, inside a code span so that * _ ~ do not format. No angle brackets at all
    (`<!channel>`, `<url|text>`); Apprise turns & into &amp; itself."""
    text = plain(value).replace("`", "ˋ")
    return f"`{text}`" if text else ""


def markdown(value: str) -> str:
    """Teams (Adaptive Card) markdown: every markdown character escaped, no angle brackets."""
    return _MARKDOWN.sub(r"\\\1", plain(value))
