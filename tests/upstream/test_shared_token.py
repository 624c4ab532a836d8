"""One IAM login per tenant for every worker and across restarts: the token lives in the shared
cache, encrypted, and a refused token is dropped there too."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache

from jobs.lib.locks import CacheLock
from jobs.upstream import client as upstream_client
from jobs.upstream import iam_tokens
from jobs.upstream.iam_tokens import SharedTokenCache
from tests.support import EXAMPLE_ID, run_in_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers(monkeypatch):
    """Each call gives a fresh process-wide token cache: a new worker, or one after a restart."""

    def new_worker() -> SharedTokenCache:
        fresh = SharedTokenCache()
        monkeypatch.setattr(upstream_client, "SHARED_TOKENS", fresh)
        return fresh

    return new_worker


def test_many_workers_and_a_restart_log_in_once(tenant, simulator, workers):
    simulator.iam.issued = 0
    for _ in range(3):  # three workers, each with its own memory
        workers()
        upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    workers()  # a restart
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    assert simulator.tokens_issued == 1


def test_concurrent_workers_wait_for_one_login(tenant, simulator, workers):
    simulator.iam.issued = 0
    start = threading.Barrier(6)
    errors = []

    def worker():
        client = upstream_client.client_for(tenant)
        start.wait()
        try:
            client.get_job(EXAMPLE_ID)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _ in range(6):
        workers()
    run_in_threads([worker] * 6)
    assert errors == [] and simulator.tokens_issued == 1


def test_the_shared_token_is_encrypted(tenant, simulator, workers):
    workers()
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    [name] = _token_keys()
    token, _expires = iam_tokens._read(name)
    assert len(token) > 20 and token not in cache.get(name)


def test_a_refused_token_is_dropped_for_every_worker(tenant, simulator, workers):
    workers()
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    simulator.set_fault("expired_token", count=1)
    simulator.iam.issued = 0
    workers()  # another worker meets the refusal and logs in again
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    workers()  # a third worker uses the new token, not the refused one
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    assert simulator.tokens_issued == 1


def _token_keys() -> list[str]:
    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # local memory
        names = [k.split(":", 2)[-1] for k in store if "iam-token:" in k and ":lock" not in k]
        return [n[n.index("iam-token:") :] for n in names]
    client = cache._cache.get_client(write=False)
    return [
        k.decode().split(":", 2)[-1]
        for k in client.keys("*iam-token:*")
        if not k.endswith(b":lock")
    ]


def test_nothing_is_shared_when_the_keys_cannot_open_it(tenant, simulator, workers, settings):
    workers()
    upstream_client.client_for(tenant).get_job(EXAMPLE_ID)
    name = _token_keys()[0]
    cache.set(name, "not a fernet token", 60)
    assert iam_tokens._read(name) is None


def test_a_late_login_does_not_release_the_next_workers_lock(monkeypatch):
    """Worker A's IAM login outlives the lock; worker B takes the lock; A's late release must
    leave B's lock in place, or a third worker would log in beside B."""
    monkeypatch.setattr(iam_tokens, "LOCK_SECONDS", 1)
    name = iam_tokens._name("tenant-a")
    b_lock = []

    def slow_login():
        time.sleep(1.2)  # A's lock has expired meanwhile
        worker_b = CacheLock(f"{name}:lock", seconds=30)
        assert worker_b.acquire()
        b_lock.append(worker_b)
        return "token-from-a", None

    assert iam_tokens._shared("tenant-a", slow_login) == ("token-from-a", None)
    assert cache.get(f"{name}:lock") == b_lock[0].token  # B's lock survived A's release
    assert b_lock[0].release()
