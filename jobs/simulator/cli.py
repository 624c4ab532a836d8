"""The one entry point: `python -m jobs.simulator` and `manage.py drs_simulator` both call
`add_arguments` and `run`."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from .config import SimulatorConfig
from .server import Simulator

DESCRIPTION = "Serve the DRS simulator (IAM tokens, AK/SK, backup-migration jobs) on loopback."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SimulatorConfig()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--bulk-jobs", type=int, default=defaults.bulk_jobs)
    parser.add_argument("--live-jobs", type=int, default=defaults.live_jobs)
    parser.add_argument("--seed", type=int, default=defaults.random_seed)
    parser.add_argument("--no-seed-faults", action="store_true", help="no demo-fault-* faults")
    parser.add_argument("--quiet", action="store_true", help="don't log requests")


def config_from(options: Mapping[str, Any]) -> SimulatorConfig:
    return SimulatorConfig(
        bulk_jobs=options["bulk_jobs"],
        live_jobs=options["live_jobs"],
        random_seed=options["seed"],
        seed_faults=not options["no_seed_faults"],
        log_requests=not options["quiet"],
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
