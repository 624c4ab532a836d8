"""A production-like stack on loopback for the load figures: the DRS simulator in its own process,
gunicorn (dashboard/gunicorn.conf.py, 2 gthread workers, DEBUG off) and Redis as the shared cache;
PostgreSQL when reachable (a throw-away database), else a temporary SQLite file.

    with Stack() as stack:
        stack.get("/healthz")
        stack.simulator.add_live_job(3600)

Everything binds to 127.0.0.1 on free ports, and every process started here is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://drs:drs@127.0.0.1:5432/drs")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
REFRESH_SECONDS = 5
# Extra gunicorn options, to try a change before making it in gunicorn.conf.py (CLI wins).
GUNICORN_ARGS = shlex.split(os.environ.get("BENCH_GUNICORN_ARGS", ""))
# The AK/SK demo tenant reads its own simulator project (`manage.py demo`): its live jobs go there.
AKSK_PROJECT_ID = "7d1f3b5a9c2e4f6081a3c5e7f9b2d4a6"  # SimulatorConfig.extra_projects' erp one
HTMX_LIVE = {"HX-Request": "true", "HX-Target": "job-live"}
HTMX_TABLE = {"HX-Request": "true", "HX-Target": "job-table", "HX-Trigger": "job-table"}

SESSION_SCRIPT = """
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username={user!r}))
print("SESSION", client.cookies["sessionid"].value)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class RemoteSimulator:
    """The simulator in its own process, as DRS is: no GIL shared with the dashboard."""

    def __init__(
        self, port: int, bulk_jobs: int, live_jobs: int = 0, seed_faults: bool = True
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "jobs.simulator",
                "--port",
                str(port),
                "--quiet",
                "--bulk-jobs",
                str(bulk_jobs),
                "--live-jobs",
                str(live_jobs),
                *([] if seed_faults else ["--no-seed-faults"]),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                self.calls()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        _stop(self.process)
        raise RuntimeError("the simulator did not start")

    def _control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else b"" if method != "GET" else None
        request = urllib.request.Request(self.url + path, method=method, data=data)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def state(self) -> dict:
        return self._control("GET", "/_sim/state")

    def calls(self) -> int:
        return self.state()["calls"]

    def job_calls(self, job_id: str) -> int:
        """Calls to one job's detail endpoint."""
        return sum(n for path, n in self.state()["calls_by_path"].items() if path.endswith(job_id))

    def reset_counters(self) -> None:
        self._control("POST", "/_sim/reset-counters")

    def add_live_job(
        self, duration_seconds: float, outcome: str = "SUCCESS", project_id: str = AKSK_PROJECT_ID
    ) -> str:
        """In the AK/SK demo tenant's project (the one the benches watch) unless told."""
        body = {"duration_seconds": duration_seconds, "outcome": outcome, "project_id": project_id}
        return self._control("POST", "/_sim/jobs", body)["job_id"]

    def add_fault(self, kind: str, target: str = "*", count: int = 1, **params) -> dict:
        body = {"kind": kind, "target": target, "count": count, "params": params}
        return self._control("POST", "/_sim/faults", body)["fault"]

    def clear_faults(self) -> int:
        return self._control("DELETE", "/_sim/faults")["cleared"]

    def stop(self) -> None:
        _stop(self.process)


def _postgres_database() -> tuple[str, str] | None:
    """(DATABASE_URL of a new empty database, its name), or None when PostgreSQL is not up."""
    try:
        import psycopg
        from psycopg import conninfo

        admin = conninfo.make_conninfo(POSTGRES_URL, dbname="postgres", connect_timeout=3)
        name = f"drs_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except Exception:  # any failure means: use SQLite
        return None
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def _drop_postgres_database(name: str) -> None:
    import psycopg
    from psycopg import conninfo

    admin = conninfo.make_conninfo(POSTGRES_URL, dbname="postgres", connect_timeout=3)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    """Simulator + gunicorn (+ Redis, + PostgreSQL or SQLite). A context manager. With
    `database_url`, gunicorn serves that (already seeded, kept) database as `user`, and no
    simulator or demo tenants are started."""

    def __init__(
        self,
        bulk_jobs: int = 300,
        workers: int = 2,
        database_url: str | None = None,
        user: str = "demo",
        access_log: Path | None = None,
    ) -> None:
        self.bulk_jobs = bulk_jobs
        self.workers = workers
        self.database_url = database_url
        self.user = user
        self.access_log = access_log  # then one line per request: its X-Bench-Id, microseconds
        self.workdir = Path(tempfile.mkdtemp(prefix="drs-stack-"))
        self.log_path = self.workdir / "gunicorn.log"
        self.simulator: RemoteSimulator | None = None
        self.gunicorn: subprocess.Popen | None = None
        self.pg_name: str | None = None
        self.database = ""
        self.session = ""
        self.url = ""

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        import redis
        from cryptography.fernet import Fernet

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()  # our own db
        except redis.RedisError as error:
            raise RuntimeError(
                f"Redis is not reachable at {REDIS_URL} ({error}); `bash .ci/services` starts it"
            ) from error
        pg = None if self.database_url else _postgres_database()
        if self.database_url:
            database_url = self.database_url
            self.database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        elif pg:
            database_url, self.pg_name = pg
            self.database = "PostgreSQL"
        else:
            database_url = f"sqlite:///{self.workdir / 'bench.sqlite3'}"
            self.database = "SQLite"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DASHBOARD_CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "REDIS_URL": REDIS_URL,
            "DATABASE_URL": database_url,
            "JOB_REFRESH_SECONDS": str(REFRESH_SECONDS),
            "GUNICORN_ACCESS_LOG": str(self.access_log or "/dev/null"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(self.workers),
            "LOG_LEVEL": "WARNING",
            "DRS_ALLOW_CUSTOM_ENDPOINTS": "1",
        }
        for name in ("DASHBOARD_CREDENTIAL_KEYS_FILE", "DJANGO_SECRET_KEY_FILE"):
            self.env.pop(name, None)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        if not self.database_url:
            self.simulator = RemoteSimulator(free_port(), self.bulk_jobs, seed_faults=False)
            self.manage("demo", "--simulator-url", self.simulator.url)
        out = self.manage("shell", "-c", SESSION_SCRIPT.format(user=self.user))
        self.session = next(
            line.split()[1] for line in out.splitlines() if line.startswith("SESSION ")
        )
        self.log = self.log_path.open("wb")
        self.gunicorn = subprocess.Popen(
            [
                GUNICORN,
                "-c",
                "dashboard/gunicorn.conf.py",
                *(["--access-logformat", "%({x-bench-id}i)s %(D)s"] if self.access_log else []),
                *GUNICORN_ARGS,
                "dashboard.wsgi",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def stop(self) -> None:
        if self.gunicorn is not None:
            _stop(self.gunicorn, signal.SIGQUIT, wait=15)  # quick shutdown
            self.log.close()
        if self.simulator is not None:
            self.simulator.stop()
        if self.pg_name:
            with contextlib.suppress(Exception):
                _drop_postgres_database(self.pg_name)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # -- helpers ------------------------------------------------------------------------------

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session}"

    def headers(self, htmx: dict | None = None) -> dict:
        return {"Cookie": self.cookie, **(htmx or {})}

    def get(self, path: str, htmx: dict | None = None) -> tuple[int, bytes]:
        """One GET as the demo user (stdlib; not for load). Any status is returned, not raised."""
        request = urllib.request.Request(self.url + path, headers=self.headers(htmx))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def reload_workers(self, wait: float = 30) -> None:
        """SIGHUP: new workers (empty process memory, the app loaded again); back when all
        `workers` are new ones, or after `wait` seconds."""
        old = set(self.worker_pids())
        self.gunicorn.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not set(pids) & old:
                return
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children (its workers)."""
        master = self.gunicorn.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
        return sorted(pids)

    def server_errors(self) -> tuple[int, str]:
        """Tracebacks and gunicorn [ERROR]/[CRITICAL] lines (worker timeouts, crashes) in the
        server log: how many, and the first few."""
        text = self.log_path.read_text(errors="replace")
        blocks = text.split("Traceback (most recent call last):")
        alarms = [line for line in text.splitlines() if "[CRITICAL]" in line or "[ERROR]" in line]
        shown = alarms[:5]
        if len(blocks) > 1:
            shown.append("Traceback (most recent call last):" + blocks[1][:4000])
        return len(blocks) - 1 + len(alarms), "\n".join(shown)


def vm_kib(pid: int, field: str) -> int | None:
    """A /proc/<pid>/status field in KiB (VmHWM, VmRSS), None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
