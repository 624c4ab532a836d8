"""The DRS simulator: wires IAM, the gateway, the job API, faults and the `/_sim/` controls
onto one HTTP server (stdlib only, no Django), and owns its threads."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from typing import Any

from jobs.simulator import controls, iam
from jobs.simulator.chains import LiveMigrations, chain_jobs, live_step
from jobs.simulator.config import SimulatorConfig
from jobs.simulator.faults import Fault, FaultSet, new_fault
from jobs.simulator.gateway import Gateway
from jobs.simulator.iam import Iam
from jobs.simulator.jobs_api import JobsApi
from jobs.simulator.live import LiveFeeder
from jobs.simulator.replies import Reply, Request
from jobs.simulator.seed import TARGETS, live_job
from jobs.simulator.seed import build_seed as build_seed_jobs
from jobs.simulator.store import TERMINAL_OUTCOMES, JobStore
from jobs.simulator.transport import HttpServer

_LIVE_FIELDS = {
    "base_info": ("name", "engine_type", "description", "enterprise_project_id", "tags"),
    "target_db_info": ("target_instance_id", "ms_file_stream_status", "file_id"),
    "backup_info": ("file_source", "bucket_name", "file_info"),
    "options": (
        "is_cover",
        "is_default_restore",
        "is_last_backup",
        "is_precheck",
        "is_delete_backup_file",
        "recovery_mode",
        "db_names",
        "reset_db_name_map",
        "consistency_check_mode",
    ),
}


class Simulator:
    """Owns the job stores (one per served project), the faults, the HTTP server (bound on
    construction) and the live-job thread. `store` is the default project's."""

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SimulatorConfig()
        config = self.config
        self.store = JobStore()
        self.stores = {config.project_id: self.store}
        self.stores.update({pid: JobStore() for pid in config.extra_projects.values()})
        self.faults = FaultSet()
        names = {config.region: config.project_id, **config.extra_projects}
        self.iam = Iam(config, {**names, **config.other_projects})
        self.gateway = Gateway(config, self.iam, self.faults)
        self.api = JobsApi(config, self.stores, self.gateway, self.faults)
        self._project_names = {pid: name for name, pid in names.items()}
        self._rng_lock = threading.Lock()
        self._rng = random.Random(config.random_seed + 1)
        self._seed()
        self._server = HttpServer((host, port), self.handle, config.log_requests)
        self._thread: threading.Thread | None = None
        self._feeder: LiveFeeder | None = None
        self._live_migrations: dict[str, LiveMigrations] = {}
        if config.keep_running_seconds is not None:
            self._feeder = LiveFeeder(
                config.keep_running_seconds,
                list(self.stores),
                self._live_chain_step
                if config.chains
                else lambda pid, duration, outcome: self.add_live_job(
                    duration, outcome, project_id=pid
                ),
                self._remove_if_finished,
                seed=config.random_seed + 2,
            )

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def tokens_issued(self) -> int:
        return self.iam.issued

    def store_for(self, project_id: str) -> JobStore:
        try:
            return self.stores[project_id]
        except KeyError:
            raise ValueError(f"the simulator serves no project {project_id!r}") from None

    def start(self) -> Simulator:
        if self._feeder is not None:
            self._feeder.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="drs-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._feeder is not None:
            self._feeder.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        if self._feeder is not None:
            self._feeder.start()
        try:
            self._server.serve_forever(poll_interval=0.5)
        finally:
            if self._feeder is not None:
                self._feeder.stop()
            self._server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> str:
        """A banner with the URL and the demo credentials (printing them is intended)."""
        lines = [f"DRS simulator on {self.url}"]
        for project_id, store in self.stores.items():
            name = self._project_names[project_id]
            lines.append(f"  project id: {project_id} (IAM project name {name}, {len(store)} jobs)")
        for domain, user, password in self.config.iam_users:
            lines.append(f"  IAM password: domain={domain} user={user} password={password}")
        for access_key, secret_key in self.config.access_keys.items():
            lines.append(f"  AK/SK: {access_key} / {secret_key}")
        if self.config.keep_running_seconds is not None:
            every = self.config.keep_running_seconds
            if self.config.chains:
                lines.append(f"  live migrations advance in every project every {every:g} s")
            else:
                lines.append(f"  a new live job in every project every {every:g} s")
        lines.append(f"  controls: {self.url}/_sim/state")
        return "\n".join(lines)

    # --- programmatic control ---------------------------------------------------------------

    def add_live_job(
        self,
        duration_seconds: float,
        outcome: str = "SUCCESS",
        project_id: str | None = None,
        **fields: Any,
    ) -> str:
        """Add a job that is TRANSFERRING now and reaches `outcome` after `duration_seconds`,
        in `project_id` (default: the default project).

        `fields` override the API shape: section keys (name, description, target_instance_id,
        recovery_mode, ...), whole sections as dicts, instance_name, new_db_names, error_log, id.
        """
        store = self.store_for(project_id or self.config.project_id)
        outcome = str(outcome).strip().upper()
        if outcome not in TERMINAL_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(TERMINAL_OUTCOMES)}")
        duration = float(duration_seconds)
        if duration < 0:
            raise ValueError("duration_seconds must be >= 0")
        identifier = fields.pop("id", None) or fields.pop("job_id", None)
        error_log = fields.pop("error_log", None)
        with self._rng_lock:
            job = live_job(
                self._rng,
                time.time(),
                duration,
                outcome,
                identifier=identifier,
                error_log=error_log,
            )
        _apply_fields(job.data, fields)
        return store.add(job)

    def add_chain_step(
        self,
        databases: str | list[str],
        kind: str = "log",
        duration_seconds: float = 1.0,
        outcome: str = "SUCCESS",
        *,
        name: str,
        target_instance_id: str | None = None,
        project_id: str | None = None,
    ) -> str:
        """Add the next restore of a migration (`kind`: full, diff, log or cutover, as
        `chains.live_step` makes it) into the target instance `target_instance_id` (one of the
        seed's targets; default the first), TRANSFERRING now and `outcome` after
        `duration_seconds`."""
        store = self.store_for(project_id or self.config.project_id)
        outcome = str(outcome).strip().upper()
        if outcome not in TERMINAL_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(TERMINAL_OUTCOMES)}")
        wanted = target_instance_id or TARGETS[0].id
        target = next((t for t in TARGETS if t.id == wanted), None)
        if target is None:
            raise ValueError(f"no seeded target instance {wanted!r}")
        with self._rng_lock:
            job = live_step(
                self._rng,
                time.time(),
                float(duration_seconds),
                databases,
                target,
                name,
                kind=kind,
                outcome=outcome,
            )
        return store.add(job)

    def _live_chain_step(self, project_id: str, duration: float, outcome: str) -> str | None:
        """The demo's next live job: the next step of one of the project's live migrations,
        or the full restore of a new one (`chains.LiveMigrations`); None when every one in
        progress is still restoring. The feeder's `outcome` is not used: a migration's steps
        mostly succeed, and a failed one blocks its chain."""
        store = self.store_for(project_id)

        def status_of(job_id: str) -> str | None:
            view = store.get(job_id)
            return view.get("status") if view else None

        with self._rng_lock:
            migrations = self._live_migrations.setdefault(
                project_id, LiveMigrations(random.Random(f"{self.config.random_seed}:{project_id}"))
            )
            job = migrations.next_job(time.time(), duration, status_of)
        return store.add(job) if job is not None else None

    def set_fault(
        self, kind: str, target: str = "*", count: int | None = None, **params: Any
    ) -> Fault:
        return self.faults.add(new_fault(kind, target, count, **params))

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_tokens(self) -> int:
        return self.iam.expire_all()

    def calls(self, path_prefix: str = "") -> int:
        return self.api.calls(path_prefix)

    def languages(self) -> dict[str, int]:
        """DRS requests counted by their X-Language header ("" when absent)."""
        return self.api.languages()

    def reset_counters(self) -> None:
        """Zero the call and token counters and lift AK lockouts."""
        self.api.reset_counters()
        self.iam.reset_counter()
        self.gateway.reset()

    def state(self) -> dict[str, Any]:
        calls = self.api.calls_by_path()
        return {
            "url": self.url,
            "project_id": self.config.project_id,
            "region": self.config.region,
            "jobs": len(self.store),
            "projects": {
                pid: {"name": self._project_names[pid], "jobs": len(store)}
                for pid, store in self.stores.items()
            },
            "calls": sum(calls.values()),
            "calls_by_path": calls,
            "tokens_issued": self.iam.issued,
            "tokens_active": self.iam.active(),
            "locked_access_keys": self.gateway.locked_keys(),
            "faults": self.faults.snapshot(),
        }

    # --- request handling -------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path.startswith(controls.PREFIX):
            return controls.handle(self, request)
        if request.path == iam.TOKENS_PATH and request.method == "POST":
            return self.iam.issue(request.body)
        return self.api.handle(request)

    # --- seeding ----------------------------------------------------------------------------

    def _remove_if_finished(self, project_id: str, job_id: str) -> bool:
        view = self.stores[project_id].get(job_id)
        if view is not None and view.get("status") == "TRANSFERRING":
            return False
        self.stores[project_id].remove(job_id)
        return True

    def _seed(self) -> None:
        config = self.config
        now = time.time()
        seed = build_seed_jobs(config.random_seed, now, config.bulk_jobs, config.live_jobs)
        for job in seed.jobs:
            self.store.add(job)
        for project_id in config.extra_projects.values():
            digest = hashlib.sha256(project_id.encode()).digest()
            random_seed = config.random_seed ^ int.from_bytes(digest[:4], "big")
            extra = build_seed_jobs(
                random_seed, now, config.extra_project_jobs, config.live_jobs, showcase=False
            )
            for job in extra.jobs:
                self.stores[project_id].add(job)
        if config.chains:
            for index, project_id in enumerate(
                [config.project_id, *config.extra_projects.values()]
            ):
                for job in chain_jobs(random.Random(config.random_seed + index), now):
                    self.stores[project_id].add(job)
        if config.seed_faults and seed.slow_job_id and seed.broken_job_id:
            slow = config.slow_job_delay_seconds
            self.set_fault("delay", seed.slow_job_id, seconds=slow)
            self.set_fault("missing_fields", seed.broken_job_id)


def _apply_fields(data: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        section = next((s for s, keys in _LIVE_FIELDS.items() if key in keys), None)
        if section is not None:
            data[section][key] = value
        elif isinstance(data.get(key), dict) and isinstance(value, dict):
            data[key].update(value)
        elif key == "new_db_names":
            data[key] = value if isinstance(value, str) else json.dumps(value)
        elif key in ("instance_name", "create_time"):
            data[key] = value
        else:
            raise ValueError(f"unknown job field {key!r}")
