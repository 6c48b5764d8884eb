"""Rate limits, counted by the `limits` library, and the RateLimit header fields that describe them.

Two limits: failed API-key attempts (per client address and per presented key prefix) and the optional plan
budget (CEPLAN_PLAN_RATE, per API key, or per client address for requests without one).

The header fields follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026), sections 3 and 4
(https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-11; -12 of November 2026 is the newest
revision): each policy a quoted name with its quota and window, `RateLimit-Policy: "plans-per-key";q=600;w=60`, and
what is left of it now, `RateLimit: "plans-per-key";r=598;t=57`.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.api.auth import client_address, presented_key
from app.errors import TooManyRequests
from app.services.accounts import Principal, key_prefix

P = ParamSpec("P")
T = TypeVar("T")


class Counter:
    """A moving-window limiter on the storage at `uri` (memory://, redis://host:port)."""

    def __init__(self, uri: str) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri))
        # Counting in this process takes microseconds; a round trip to Redis must not hold up the event loop.
        self._inline = uri.startswith("memory://")

    async def run(self, count: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return count(*args, **kwargs) if self._inline else await run_in_threadpool(count, *args, **kwargs)


@dataclass(frozen=True)
class Usage:
    """One policy's state for one partition after a request: its RateLimit items, and whether it refused."""

    name: str
    policy: str
    state: str
    seconds: int
    refused: bool


def rate_limit_headers(usages: Sequence[Usage]) -> dict[str, str]:
    headers = {"RateLimit-Policy": ", ".join(u.policy for u in usages), "RateLimit": ", ".join(u.state for u in usages)}
    waits = [u.seconds for u in usages if u.refused]
    if waits:
        # Not before the effective window ends (the draft's section 6): by then at least one unit is free again.
        headers["Retry-After"] = str(max(waits))
    return headers


class Quota:
    """`rate` units per window for each partition (an address, a key prefix), counted as a moving window."""

    def __init__(self, name: str, rate: RateLimitItem, limiter: MovingWindowRateLimiter) -> None:
        self.name = name
        self.rate = rate
        self._limiter = limiter
        self._policy = f'"{name}";q={rate.amount};w={rate.get_expiry()}'

    def spend(self, partition: str, cost: int = 1) -> Usage:
        """Take `cost` units, all or none (a refused request takes nothing), and say what is left."""
        spent = self._limiter.hit(self.rate, self.name, partition, cost=cost)
        reset_at, remaining = self._limiter.get_window_stats(self.rate, self.name, partition)
        seconds = max(1, math.ceil(reset_at - time.time()))
        return Usage(self.name, self._policy, f'"{self.name}";r={max(0, remaining)};t={seconds}', seconds, not spent)


@dataclass(frozen=True)
class Outcome:
    usages: Sequence[Usage]

    @property
    def refused(self) -> bool:
        return any(u.refused for u in self.usages)

    @property
    def violated(self) -> list[str]:
        return [u.name for u in self.usages if u.refused]

    @property
    def headers(self) -> dict[str, str]:
        return rate_limit_headers(self.usages)


class AuthFailureLimiter:
    """Failed API-key attempts, per client address and per presented key prefix.

    Only keys that failed to verify are counted, and only after they failed: a key that verifies is never
    refused, whoever else fails from its address or with its prefix. (A secret is 256 random bits, so guessing
    cannot succeed; the limit tells scanners and misconfigured clients to stop, and keeps their noise bounded.)"""

    def __init__(self, per_minute: int, storage_uri: str) -> None:
        rate = parse(f"{per_minute}/minute")
        self._counter = Counter(storage_uri)
        self._by_address = Quota("failed-keys-per-address", rate, self._counter.limiter)
        self._by_key = Quota("failed-keys-per-key", rate, self._counter.limiter)

    async def failed(self, address: str, prefix: str | None) -> Outcome:
        """Count a failed attempt from `address` with a key of `prefix` (None: not a well-formed key)."""
        return await self._counter.run(self._count, address, prefix)

    def _count(self, address: str, prefix: str | None) -> Outcome:
        by_address = self._by_address.spend(address)
        if prefix is None or by_address.refused:
            # Prefixes are counted only while their address is within its limit, so one address cannot fill the
            # storage with made-up prefixes.
            return Outcome([by_address])
        return Outcome([by_address, self._by_key.spend(prefix)])


class PlanBudget:
    """CEPLAN_PLAN_RATE: plans (a batch counts each of its plans, an analysis counts one) per API key, and per
    client address for requests without a key. A keyed request spends only its key's budget, so nobody else
    behind the same address can spend it."""

    def __init__(self, rate: str, storage_uri: str) -> None:
        self._counter = Counter(storage_uri)
        self._by_key = Quota("plans-per-key", parse(rate), self._counter.limiter)
        self._by_address = Quota("plans-per-address", parse(rate), self._counter.limiter)

    async def spend(self, plans: int, *, key: str | None, address: str) -> dict[str, str]:
        """The RateLimit headers for the answer; 429 (nothing spent) when the budget cannot cover `plans`."""
        quota, partition = (self._by_key, key) if key else (self._by_address, address)
        usage = await self._counter.run(quota.spend, partition, plans)
        headers = rate_limit_headers([usage])
        if usage.refused:
            raise TooManyRequests(_over_budget(quota.rate, plans, usage), code="plan_budget_exceeded", headers=headers)
        return headers


def _over_budget(rate: RateLimitItem, plans: int, usage: Usage) -> str:
    window = f"{rate.amount} plans per {rate.get_expiry()} s"
    if plans > rate.amount:
        return f"a batch of {plans} plans is more than the whole budget of {window}; send smaller batches"
    return f"the plan budget of {window} is spent; try again in {usage.seconds} s"


async def spend_plans(request: Request, principal: Principal | None, plans: int) -> dict[str, str]:
    """Spend `plans` units of the caller's budget: the RateLimit headers for the answer, or 429. Free (no
    storage, no headers) when CEPLAN_PLAN_RATE is unset."""
    budget: PlanBudget | None = request.app.state.plan_budget
    if budget is None:
        return {}
    # A principal means the presented key verified, so it is well-formed and has a prefix.
    key = key_prefix(presented_key(request) or "") if principal else None
    return await budget.spend(plans, key=key, address=client_address(request))
