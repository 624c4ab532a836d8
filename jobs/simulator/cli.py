"""The one entry point: `python -m jobs.simulator` and `manage.py drs_simulator` both call
`add_arguments` and `run`."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from jobs.simulator.config import SimulatorConfig
from jobs.simulator.server import Simulator

DESCRIPTION = "Serve the DRS simulator (IAM tokens, AK/SK, backup-migration jobs) on loopback."
DEMO_KEEP_RUNNING_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SimulatorConfig()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--bulk-jobs", type=int, default=defaults.bulk_jobs)
    parser.add_argument("--live-jobs", type=int, default=defaults.live_jobs)
    parser.add_argument("--seed", type=int, default=defaults.random_seed)
    parser.add_argument("--no-seed-faults", action="store_true", help="no demo-fault-* faults")
    parser.add_argument("--quiet", action="store_true", help="don't log requests")
    parser.add_argument(
        "--extra-project-jobs",
        type=int,
        default=defaults.extra_project_jobs,
        help="bulk jobs in each extra project",
    )
    parser.add_argument(
        "--keep-running",
        type=float,
        default=DEMO_KEEP_RUNNING_SECONDS,
        metavar="SECONDS",
        help="start a new live job in every project this often (default %(default)s)",
    )
    parser.add_argument(
        "--no-keep-running", action="store_true", help="start no live jobs after the seed"
    )
    parser.add_argument(
        "--max-limit", type=int, default=None, help="cap every list page at this many jobs"
    )


def config_from(options: Mapping[str, Any]) -> SimulatorConfig:
    return SimulatorConfig(
        bulk_jobs=options["bulk_jobs"],
        live_jobs=options["live_jobs"],
        random_seed=options["seed"],
        seed_faults=not options["no_seed_faults"],
        log_requests=not options["quiet"],
        extra_project_jobs=options["extra_project_jobs"],
        keep_running_seconds=None if options["no_keep_running"] else options["keep_running"],
        max_limit=options["max_limit"],
    )


def run(options: Mapping[str, Any], write: Callable[[str], Any] = print) -> None:
    """Serve in the foreground until interrupted."""
    simulator = Simulator(config_from(options), host=options["host"], port=options["port"])
    write(simulator.describe())
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jobs.simulator", description=DESCRIPTION)
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), lambda text: print(text, flush=True))
