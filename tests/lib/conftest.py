"""The cache primitives are tested on each shared cache they run on: the local-memory cache
always, Redis too when REDIS_URL is set (`make test-prod`)."""

from __future__ import annotations

import os
import secrets

import pytest
from django.core.cache.backends.locmem import LocMemCache

from dashboard.cache import RedisCache


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request):
    """A cache of its own: a fresh local-memory one, or a key prefix of its own on Redis (the
    Redis database is never flushed, other tests may be using it)."""
    prefix = f"tests-lib-{secrets.token_hex(4)}"
    if request.param == "locmem":
        backend = LocMemCache(prefix, {})
        yield backend
        backend.clear()
        return
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL (make test-prod)")
    backend = RedisCache(url, {"KEY_PREFIX": prefix})
    yield backend
    client = backend._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
