"""Run the simulator in the foreground: python -m jobs.simulator --port 8001."""

from .cli import main

main()
