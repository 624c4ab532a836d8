"""The mirror's tests sync a small simulator of their own, as the sync's tests do."""

from tests.sync.conftest import sim, sim_tenant  # noqa: F401  (fixtures)
