"""Run the simulator in the foreground: python -m jobs.simulator --port 8001."""

from __future__ import annotations

import argparse
import contextlib

from .server import Simulator, SimulatorConfig


def main(argv: list[str] | None = None) -> None:
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(prog="python -m jobs.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--bulk-jobs", type=int, default=defaults.bulk_jobs)
    parser.add_argument("--live-jobs", type=int, default=defaults.live_jobs)
    parser.add_argument("--seed", type=int, default=defaults.random_seed)
    parser.add_argument("--no-seed-faults", action="store_true", help="no demo-fault-* faults")
    parser.add_argument("--quiet", action="store_true", help="don't log requests")
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        bulk_jobs=args.bulk_jobs,
        live_jobs=args.live_jobs,
        random_seed=args.seed,
        seed_faults=not args.no_seed_faults,
        log_requests=not args.quiet,
    )
    simulator = Simulator(config, host=args.host, port=args.port)
    print(simulator.describe(), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()
