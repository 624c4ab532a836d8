"""Run the simulator in the foreground: python -m jobs.simulator --port 8001."""

from jobs.simulator.cli import main

main()
