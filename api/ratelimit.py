"""Per-token rate limits: a token bucket per token name, in this process.

With several processes each keeps its own buckets, so a token may make up to the limit times
the number of processes; `RedisRateLimiter` shares the buckets when REDIS_URL is set.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Any, Protocol


class RateLimiter(Protocol):
    async def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before the next one."""


class LocalRateLimiter:
    def __init__(self, *, per_second: float, burst: int, max_keys: int = 10_000) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    async def take(self, key: str) -> float:
        now = time.monotonic()
        tokens, then = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self._rate
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


# GCRA in one round trip: the key holds the "theoretical arrival time" in milliseconds.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat + interval - burst * interval
if allowed_at > now then return allowed_at - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(burst * interval) + 1000)
return 0
"""


class RedisRateLimiter:
    """The same limit shared by every process that uses this Redis."""

    def __init__(self, redis: Any, *, per_second: float, burst: int) -> None:
        self._redis = redis
        self._interval = 1000.0 / per_second
        self._burst = burst
        self._script = redis.register_script(_GCRA)

    async def take(self, key: str) -> float:
        now = math.floor(time.time() * 1000)
        wait_ms = await self._script(
            keys=[f"altum:api-rate:{key}"], args=[now, self._interval, self._burst]
        )
        return float(wait_ms) / 1000
