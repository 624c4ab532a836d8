"""IAM: `POST /v3/auth/tokens` with a password identity, and the registry of issued tokens.

Choices where drs-api.md is silent: scope by project name accepts any project the simulator
knows by name; an unknown project is 400 with IAM's nested error body.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobs.simulator.config import SimulatorConfig
from jobs.simulator.replies import Reply, json_reply

TOKENS_PATH = "/v3/auth/tokens"


@dataclass
class IssuedToken:
    project_id: str
    user: str
    domain: str
    expires_at: float


def _iso_micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _opaque_token() -> str:
    """Shaped like a real IAM token: a long base64url string starting with MII."""
    return "MII" + secrets.token_urlsafe(1200)


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def iam_error(status: int, message: str, title: str) -> Reply:
    return json_reply(status, {"error": {"code": status, "message": message, "title": title}})


def _bad_request() -> Reply:
    return iam_error(400, "The request body is invalid.", "Bad Request")


class Iam:
    """Issues tokens scoped to one project and remembers them for the gateway."""

    def __init__(self, config: SimulatorConfig, projects: dict[str, str]) -> None:
        self.config = config
        self.projects = projects  # IAM project name -> project id
        self.issued = 0
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def lookup(self, token: str) -> IssuedToken | None:
        with self._lock:
            return self._tokens.get(token)

    def expire_all(self) -> int:
        now = time.time()
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now - 1)
            return len(self._tokens)

    def active(self) -> int:
        now = time.time()
        with self._lock:
            return sum(1 for token in self._tokens.values() if token.expires_at > now)

    def reset_counter(self) -> None:
        with self._lock:
            self.issued = 0

    def issue(self, body: bytes) -> Reply:
        try:
            auth = json.loads(body)["auth"]
            methods = auth["identity"]["methods"]
            user = auth["identity"]["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
            scope = auth["scope"]["project"]
        except (ValueError, KeyError, TypeError):
            return _bad_request()
        credentials = (domain, name, password)
        if not isinstance(methods, list) or "password" not in methods:
            return _bad_request()
        if not all(isinstance(part, str) for part in credentials):
            return _bad_request()
        if credentials not in {tuple(entry) for entry in self.config.iam_users}:
            return iam_error(401, "The username or password is wrong.", "Unauthorized")
        project = self._resolve_project(scope)
        if project is None:
            return iam_error(400, "The project does not exist or is not accessible.", "Bad Request")
        return self._token_reply(name, domain, *project)

    def _resolve_project(self, scope: Any) -> tuple[str, str] | None:
        if not isinstance(scope, dict):
            return None
        wanted_id, wanted_name = scope.get("id"), scope.get("name")
        if wanted_id:
            names = [name for name, pid in self.projects.items() if pid == wanted_id]
            return (wanted_id, names[0]) if names else None
        if isinstance(wanted_name, str) and wanted_name in self.projects:
            return self.projects[wanted_name], wanted_name
        return None

    def _token_reply(self, user: str, domain: str, project_id: str, project_name: str) -> Reply:
        issued = datetime.now(UTC)
        expires = issued + timedelta(seconds=self.config.token_ttl_seconds)
        token = _opaque_token()
        with self._lock:
            self._tokens[token] = IssuedToken(project_id, user, domain, expires.timestamp())
            self.issued += 1
        domain_ref = {"id": _stable_id("domain", domain), "name": domain}
        body = {
            "token": {
                "expires_at": _iso_micro(expires),
                "issued_at": _iso_micro(issued),
                "methods": ["password"],
                "catalog": [],
                "roles": [{"id": _stable_id("role", "te_admin"), "name": "te_admin"}],
                "project": {"id": project_id, "name": project_name, "domain": domain_ref},
                "user": {
                    "id": _stable_id("user", domain, user),
                    "name": user,
                    "domain": domain_ref,
                    "password_expires_at": "",
                },
            }
        }
        return json_reply(201, body, headers={"X-Subject-Token": token})
