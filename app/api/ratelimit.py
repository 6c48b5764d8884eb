"""Failed API-key attempts are counted per client; past the limit the client gets 429 with Retry-After."""

import math
import time

from limits import parse, storage, strategies


class AuthFailureLimiter:
    def __init__(self, per_minute: int, storage_uri: str) -> None:
        self._limit = parse(f"{per_minute}/minute")
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))

    def retry_after(self, client: str) -> int | None:
        """Seconds until the client may try again, or None while it is under the limit."""
        if self._limiter.test(self._limit, client):
            return None
        reset_at, _remaining = self._limiter.get_window_stats(self._limit, client)
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, client: str) -> None:
        self._limiter.hit(self._limit, client)
