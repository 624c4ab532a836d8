"""`make run` from a clean database: one "ready" block once both servers listen, with the URL,
the four logins and a copy-paste command that starts a live job; the credential-key warning
once. Then the printed command and login are used for real, in the browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_run(tmp_path):
    make = shutil.which("make")
    if not make:
        pytest.skip("make is not installed")
    port, sim_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("DASHBOARD_CREDENTIAL_KEYS", None)
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                make,
                "-s",
                "-o",
                ".venv/.installed",
                "run",
                f"PORT={port}",
                f"SIMULATOR_PORT={sim_port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while "Stop with Ctrl-C." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield port, sim_port, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group `make run` started, by its id
        process.wait(timeout=20)


def test_make_run_prints_one_ready_block_that_works(make_run, browser: Browser):
    port, sim_port, log = make_run
    text = log.read_text()
    block = text[text.index("= ready =") :]
    assert f"http://127.0.0.1:{port}/" in block
    assert "demo (superuser), admin, operator or viewer; password drs-demo-2026" in block
    assert text.count("DASHBOARD_CREDENTIAL_KEYS is not set") == 1, text
    assert text.count("= ready =") == 1
    # The block comes after both servers said they listen.
    assert text.index("Starting development server") < text.index("= ready =")
    assert text.index(f"DRS simulator on http://127.0.0.1:{sim_port}") < text.index("= ready =")

    command = next(line.strip() for line in block.splitlines() if line.strip().startswith("curl "))
    bash = shutil.which("bash")
    if not shutil.which("curl") or not bash:
        pytest.skip("curl is not installed")
    answer = subprocess.run([bash, "-c", command], capture_output=True, text=True, timeout=20)
    job_id = re.search(r'"job_id": "([^"]+)"', answer.stdout).group(1)

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/accounts/login/")
        page.fill("input[name=username]", "demo")
        page.fill("input[name=password]", "drs-demo-2026")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        # Both demo tenants read the simulator's default project: pick one, as a DBA would.
        page.locator("#lookup-tenant-top").fill("demo-token")
        page.locator("#lookup-q-top").fill(job_id)
        with page.expect_navigation():
            page.locator("#lookup-q-top").press("Enter")
        expect(page).to_have_url(f"http://127.0.0.1:{port}/tenants/demo-token/jobs/{job_id}/")
        expect(page.locator("#job-live h1")).to_have_text("my-first-job")
        expect(page.locator("#job-live .title-row .badge")).to_have_attribute(
            "data-status", "TRANSFERRING"
        )
    finally:
        context.close()
