"""The demo's live migrations (`chains=True` with `keep_running_seconds`), read over real HTTP
as the dashboard reads them: in every project new chains keep starting, each step starts once
the one before succeeded, a chain takes nothing after its cutover or a failed step, and the
files and options are those drs-api.md §10 describes for each kind of restore."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

import pytest
import requests

from jobs.simulator import Simulator, SimulatorConfig, cli
from jobs.simulator.store import parse_time
from tests.simulator.support import jobs_path, token_for, token_headers


def details(sim: Simulator, project_id: str) -> list[dict]:
    headers = token_headers(token_for(sim, project_id))
    url = sim.url + jobs_path(project_id)
    listed = requests.get(url, headers=headers, params={"limit": 500}, timeout=5).json()["jobs"]
    return [
        requests.get(sim.url + jobs_path(project_id, job["id"]), headers=headers, timeout=5).json()
        for job in listed
        if job["name"].startswith("live-")
    ]


def chains_of(jobs: list[dict]) -> dict[tuple, list[dict]]:
    """Each live migration's steps in order: (target instance, databases) → jobs."""
    found: dict[tuple, list[dict]] = defaultdict(list)
    for job in jobs:
        key = (job["target_db_info"]["target_instance_id"], tuple(job["options"]["db_names"]))
        found[key].append(job)
    return {key: sorted(steps, key=_order) for key, steps in found.items()}


def _order(job: dict) -> tuple:
    """By creation; within one second (the API's resolution) by the step number in the name
    (`live-orders001-full`, `…-log-01`, `…-diff-02`)."""
    name = job["base_info"]["name"]
    return job["create_time"], 0 if name.endswith("-full") else int(name.rsplit("-", 1)[1])


@pytest.fixture(scope="module")
def after_a_while():
    config = SimulatorConfig(
        bulk_jobs=0,
        live_jobs=0,
        extra_project_jobs=0,
        seed_faults=False,
        chains=True,
        keep_running_seconds=0.1,
    )
    sim = Simulator(config).start()
    try:
        time.sleep(5)
        yield sim, {pid: details(sim, pid) for pid in sim.stores}
    finally:
        sim.stop()


def test_every_project_keeps_starting_migrations_and_some_reach_their_cutover(after_a_while):
    sim, jobs = after_a_while
    assert set(jobs) == set(sim.stores) and len(jobs) == 3
    cutovers = 0
    for project_id, project_jobs in jobs.items():
        chains = chains_of(project_jobs)
        assert len(chains) >= 3, project_id  # new migrations keep starting
        assert any(j["status"] == "TRANSFERRING" for j in project_jobs), project_id
        cutovers += sum(1 for steps in chains.values() if steps[-1]["options"]["is_last_backup"])
    assert cutovers >= 1
    every = [j for project_jobs in jobs.values() for j in project_jobs]
    assert any(len(j["options"]["db_names"]) == 2 for j in every)  # a backup of two databases
    assert any("_DIFF_" in f["file_name"] for j in every for f in j["backup_info"]["file_info"])


def test_each_step_follows_a_success_and_nothing_follows_a_cutover_or_a_failure(after_a_while):
    _sim, jobs = after_a_while
    for project_jobs in jobs.values():
        for (_target, databases), steps in chains_of(project_jobs).items():
            first, *rest = steps
            assert first["options"]["recovery_mode"] == "full"
            for before, after in itertools.pairwise(steps):
                assert before["status"] == "SUCCESS", (databases, before["base_info"]["name"])
                assert not before["options"]["is_last_backup"]
                assert parse_time(after["create_time"]) >= parse_time(before["finish_time"])
            for step in rest:
                assert step["options"]["recovery_mode"] == "incre"
            restored = [f["file_name"] for s in steps for f in s["backup_info"]["file_info"]]
            assert len(restored) == len(set(restored)), databases  # no backup restored twice
            for step in steps:  # each restores backups taken before it started
                started = parse_time(step["create_time"]) + 1  # the API's times are whole seconds
                modified = [
                    int(f["file_last_modify"]) / 1000 for f in step["backup_info"]["file_info"]
                ]
                assert max(modified) <= started


def test_each_kind_of_restore_has_its_files_and_options(after_a_while):
    _sim, jobs = after_a_while
    for job in (j for project_jobs in jobs.values() for j in project_jobs):
        files = [f["file_name"] for f in job["backup_info"]["file_info"]]
        options, databases = job["options"], job["options"]["db_names"]
        assert not options["is_default_restore"] and databases
        assert all(any(f.startswith(f"{db}_") for f in files) for db in databases)
        if options["recovery_mode"] == "full":
            assert all(f.endswith(".bak") and "_FULL_" in f for f in files)
        elif "_DIFF_" in files[0]:
            assert all(f.endswith(".bak") for f in files) and not options["is_last_backup"]
        else:
            assert all(f.endswith(".trn") and "_LOG_" in f for f in files)
        if job["status"] == "FAILED":
            assert job["error_log"]
        if job["status"] == "TRANSFERRING":
            assert not job.get("finish_time")


def test_the_demo_simulator_runs_live_migrations():
    """`make run` starts the simulator through the CLI: chains on, kept running."""
    import argparse

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    config = cli.config_from(vars(parser.parse_args([])))
    assert config.chains and config.keep_running_seconds == cli.DEMO_KEEP_RUNNING_SECONDS
    sim = Simulator(config)
    try:
        assert "live migrations advance in every project every 30 s" in sim.describe()
    finally:
        sim.stop()
