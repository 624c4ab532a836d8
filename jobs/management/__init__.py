"""The command line: `manage.py tenant`, `jobs`, `notify`, `sync`, `demo`, and how they print."""
