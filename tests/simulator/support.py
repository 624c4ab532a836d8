"""Helpers the simulator tests share: IAM tokens, signed requests, job paths."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from jobs.drs import signing
from jobs.simulator import Simulator


def token_request(project: dict[str, str], password: str = "demo-Passw0rd!") -> dict:
    user = {"name": "demo-user", "password": password, "domain": {"name": "demo-domain"}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": {"project": project}}}


def token_for(simulator: Simulator, project_id: str | None = None) -> str:
    body = token_request({"id": project_id or simulator.config.project_id})
    response = requests.post(f"{simulator.url}/v3/auth/tokens", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def jobs_path(project_id: str, job_id: str = "") -> str:
    path = f"/v5/{project_id}/backup-migration-jobs"
    return f"{path}/{job_id}" if job_id else path


def token_headers(token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Auth-Token": token}


def signed(
    simulator: Simulator,
    method: str,
    path: str,
    body: bytes = b"",
    project_id: str | None = None,
) -> requests.Response:
    """One AK/SK-signed request with the simulator's first access key, no query."""
    access_key, secret_key = next(iter(simulator.config.access_keys.items()))
    headers = {
        "Content-Type": "application/json",
        "Host": urlsplit(simulator.url).netloc,
        "X-Project-Id": project_id or simulator.config.project_id,
        "X-Sdk-Date": signing.sdk_date(),
    }
    headers["Authorization"] = signing.authorization(
        access_key, secret_key, method, path, "", headers, body
    )
    return requests.request(method, simulator.url + path, headers=headers, data=body, timeout=5)
