"""Recently rendered answers, kept in a least-recently-used cache bounded by bytes rather than by entries.

A count of entries bounds nothing when one entry can be a few bytes or several megabytes: a cache of 256
"typical" 40 KB answers held hundreds of megabytes once callers could make each answer large. Here every entry
counts its rendered bytes plus a fixed allowance for its key (the parts of the request it is looked up by), so
the cache never holds more than its budget, whatever callers send.
"""

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteBudgetCache(Generic[K, V]):
    """A thread-safe LRU cache holding at most `budget` bytes, as `size` (the value's bytes) plus `key_bytes`
    for each entry count them. A value larger than the whole budget is answered but not kept."""

    def __init__(self, budget: int, size: Callable[[V], int], key_bytes: int) -> None:
        self.budget = budget
        self._cache: LRUCache[K, V] = LRUCache(maxsize=budget, getsizeof=lambda value: size(value) + key_bytes)
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: K, value: V) -> None:
        if self._cache.getsizeof(value) > self.budget:
            return  # cachetools would refuse it with ValueError; it is simply not worth keeping
        with self._lock:
            self._cache[key] = value

    @property
    def held_bytes(self) -> int:
        """The bytes the entries count, never more than the budget."""
        with self._lock:
            return int(self._cache.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)
