"""One entry point: `python -m jobs.simulator` serves, `manage.py drs_simulator` wraps it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from jobs.management.commands.drs_simulator import Command
from jobs.simulator import cli

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_entry_point_serves() -> None:
    port = free_port()
    argv = [sys.executable, "-m", "jobs.simulator", "--port", str(port), "--quiet"]
    argv += ["--bulk-jobs", "3", "--live-jobs", "0", "--no-seed-faults", "--keep-running", "0.1"]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()
        assert banner.startswith(f"DRS simulator on http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            try:
                state = requests.get(f"http://127.0.0.1:{port}/_sim/state", timeout=2).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.05)
        assert state["faults"] == []
        assert len(state["projects"]) == 3
        time.sleep(0.3)  # demo mode: live jobs keep arriving
        later = requests.get(f"http://127.0.0.1:{port}/_sim/state", timeout=2).json()
        assert later["jobs"] > state["jobs"]
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def test_management_command_takes_the_same_options() -> None:
    argv = ["--port", "9", "--bulk-jobs", "4", "--live-jobs", "1", "--seed", "3", "--quiet"]
    parser = Command().create_parser("manage.py", "drs_simulator")
    options = vars(parser.parse_args(argv))
    config = cli.config_from(options)
    assert (config.bulk_jobs, config.live_jobs, config.random_seed) == (4, 1, 3)
    assert not config.log_requests and config.seed_faults
    assert config.keep_running_seconds == cli.DEMO_KEEP_RUNNING_SECONDS
    assert config.max_limit is None
    quiet = vars(parser.parse_args([*argv, "--no-keep-running", "--max-limit", "50"]))
    assert cli.config_from(quiet).keep_running_seconds is None
    assert cli.config_from(quiet).max_limit == 50
    assert options["port"] == 9 and options["host"] == "127.0.0.1"
