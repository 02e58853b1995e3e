"""Fixtures for the whole suite: real PostgreSQL and Redis (services mode), a clean cache."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories.accounts import UserFactory

# Parallel workers share one Redis: each gets its own cache namespace so that one
# worker's rate-limit counters or cleanup never touch another's.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_configure(config):
    cache_settings = settings.CACHES["default"]
    cache_settings["KEY_PREFIX"] = f"{cache_settings.get('KEY_PREFIX', 'tandem')}-test-{_WORKER}"
    # Test users need no slow password hashing; what is tested is the login flow, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks queued by any test go to this worker's own Redis database (see tests/bus).
    from tests.bus.conftest import broker_url, use_broker

    use_broker(broker_url())


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with no rate-limit counters or cached values of earlier tests."""
    _clear_own_cache()


def _clear_own_cache() -> None:
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def make_user(db):
    """make_user(roles=["Sales"], **fields): a user in the given role groups."""

    def make(*, roles=(), **fields):
        return UserFactory(roles=list(roles), **fields)

    return make
