"""The simulator's configuration and its demo credentials (demo values, printed on purpose)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PROJECT_ID = "054ba152d480d55b2f5dc0069e7ddef0"
DEMO_ACCESS_KEY = "DEMOAKSIMULATOR00001"
DEMO_SECRET_KEY = "demoSKsimulatorR7vQ2mX9kL4pN8wT3yZ6bC1dq"  # noqa: S105  (demo value)
# Read-only demo credentials: they read jobs, and every change is refused 403 DRS.M00102.
READER_USER = ("demo-domain", "demo-reader", "demo-Reader0!")
READER_ACCESS_KEY = "DEMOAKSIMREADONLY001"
READER_SECRET_KEY = "demoSKreadonlyQ4wE8rT2yU6iO0pA3sD7fG1hJ5"  # noqa: S105  (demo value)


def _demo_users() -> list[tuple[str, str, str]]:
    return [("demo-domain", "demo-user", "demo-Passw0rd!"), READER_USER]


@dataclass
class SimulatorConfig:
    project_id: str = DEMO_PROJECT_ID
    region: str = "ap-southeast-3"  # the project name IAM reports for project_id
    iam_users: list[tuple[str, str, str]] = field(default_factory=_demo_users)  # domain, user, pw
    access_keys: dict[str, str] = field(
        default_factory=lambda: {
            DEMO_ACCESS_KEY: DEMO_SECRET_KEY,
            READER_ACCESS_KEY: READER_SECRET_KEY,
        }
    )
    # IAM user names and access keys that may read but not change jobs.
    read_only: frozenset[str] = frozenset({READER_USER[1], READER_ACCESS_KEY})
    # How long a job made by a create runs (its precheck is the first third).
    created_job_seconds: float = 6.0
    # Further projects DRS serves, each with its own jobs (IAM project name -> project id,
    # like other_projects). The jobs of one project never show in another.
    extra_projects: dict[str, str] = field(
        default_factory=lambda: {
            "ap-southeast-3_erp": "7d1f3b5a9c2e4f6081a3c5e7f9b2d4a6",
            "ap-southeast-3_finance": "c3e5a7f9b1d34e6c8a0f2b4d6e8a1c3f",
        }
    )
    extra_project_jobs: int = 40  # bulk jobs seeded in each extra project
    # Other projects IAM will scope tokens to; DRS answers them 403 DRS.M00102.
    other_projects: dict[str, str] = field(
        default_factory=lambda: {"cn-south-2": "0b4c7e2f9a8d4f6e8c1b3a5d7e9f0c2a"}
    )
    token_ttl_seconds: int = 86400
    bulk_jobs: int = 300
    live_jobs: int = 3
    random_seed: int = 7
    clock_skew_seconds: int = 900
    seed_faults: bool = True  # demo-fault-slow (delay) and demo-fault-broken (missing_fields)
    slow_job_delay_seconds: float = 1.5
    aksk_lockout_failures: int = 5
    aksk_lockout_seconds: int = 300
    log_requests: bool = False
    # Cap on a list page's size whatever `limit` asks (None: no cap; the real maximum is
    # undocumented, so tests use this to prove clients don't stop on a short page).
    max_limit: int | None = None
    # Start a new live job in every served project this often (None: never). Each runs for
    # 1.5 to 6 intervals and ends SUCCESS or FAILED, so something is always TRANSFERRING.
    keep_running_seconds: float | None = None
    # Seed migrations (jobs.simulator.chains) in every project; the demo and the CLI do.
    chains: bool = False
