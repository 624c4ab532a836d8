"""Every create body the action tests send goes through the official SDK's model first."""

from __future__ import annotations

import pytest

from jobs.drs.client import DrsClient
from tests.actions.sdk import create_offline_task_req

SENT: list[dict] = []


@pytest.fixture(autouse=True)
def _bodies_accepted_by_the_sdk(monkeypatch):
    original = DrsClient.create_job

    def checked(self, body, **kwargs):
        create_offline_task_req(body)  # raises for a body the SDK's models would not take
        SENT.append(body)
        return original(self, body, **kwargs)

    monkeypatch.setattr(DrsClient, "create_job", checked)
