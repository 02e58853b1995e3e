"""Fair-use throttling per token, per user and per anonymous client address."""

import math
import uuid
from functools import cache

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from redis import Redis
from redis.commands.core import Script
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from integration.models import ApiToken

# DRF's sliding window as one atomic step: forget the requests recorded at or before
# ARGV[2] (now - duration), then record this one (at ARGV[1], now) if fewer than the limit
# remain. Answers {allowed, requests in the window, oldest of them} for Retry-After. Times
# travel as exact strings: Lua would round numbers to 14 digits.
_WINDOW_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
    return {1, count + 1, ''}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, count, oldest[2]}
"""


@cache
def _window_script() -> Script:
    return caches[DEFAULT_CACHE_ALIAS]._cache.get_client(write=True).register_script(_WINDOW_LUA)


# One Redis client per connection pool: Django's cache builds a new client object (a few
# hundred response callbacks) on every call, which costs more than the script's round trip.
_clients: dict[int, Redis] = {}


def _client_for(backend: RedisCache) -> Redis:
    cache_client = backend._cache
    pool = cache_client._get_connection_pool(True)  # writes go to the first server
    client = _clients.get(id(pool))
    if client is None or client.connection_pool is not pool:
        client = _clients[id(pool)] = cache_client._client(connection_pool=pool)
    return client


class _SettingsRate:
    """Read the rate when it is needed, so a changed setting takes effect without a restart."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _RedisWindow:
    """DRF's rule (at most `num_requests` allowed requests in the last `duration` seconds;
    a refused request does not count) kept in a Redis sorted set, one round trip a request.

    DRF's own implementation reads and rewrites the whole window as a pickled list: two
    round trips carrying up to the full budget of timestamps both ways, and two concurrent
    requests may both pass on the same count. Other cache backends keep DRF's.
    """

    _window: tuple[int, float] | None = None  # (requests in the window, oldest) when refused

    def allow_request(self, request, view) -> bool:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        # Not DRF's key: an old pickled list there would be of the wrong Redis type.
        key = backend.make_and_validate_key(f"{self.key}:window")
        allowed, count, oldest = _window_script()(
            keys=[key],
            args=[
                repr(self.now),
                repr(self.now - self.duration),
                self.num_requests,
                uuid.uuid4().hex,
                math.ceil(self.duration * 1000),
            ],
            client=_client_for(backend),
        )
        if allowed:
            return True
        self._window = (int(count), float(oldest))
        return self.throttle_failure()

    def wait(self) -> float | None:
        if self._window is None:
            return super().wait()
        count, oldest = self._window
        # DRF's formula: the time left for the oldest request, shared among those to come.
        available = self.num_requests - count + 1
        if available <= 0:
            return None
        return (self.duration - (self.now - oldest)) / available


class PrincipalRateThrottle(_RedisWindow, _SettingsRate, SimpleRateThrottle):
    """One budget per API token, and one per user for browser sessions."""

    scope = "principal"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(_RedisWindow, _SettingsRate, SimpleRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
