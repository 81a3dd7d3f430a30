"""SEC fair access, enforced for the whole process.

EDGAR allows at most 10 requests per second per client and blocks clients that exceed it
(or do not declare themselves) for about ten minutes. The limit is about the process's
traffic, not one thread's or one client object's, so the state lives here at module level:
one rate limiter shared by every thread and every LiveSource in the process, and a record
of hosts that have answered with the fair-access block, so that once one thread is
blocked no other thread sends another request to that host. Likewise a Retry-After
answer (429/503) pauses every thread talking to that host, not just the one that got it.

The limiter is a token bucket of capacity one: request slots are 1/rate seconds apart,
so any rate+1 consecutive requests span more than a second and the traffic is even
rather than bursty. Slots follow each other on an ideal schedule (a thread that wakes a
millisecond late does not push every later slot back); an admission later than that
starts the schedule afresh from its own time. The spacing is stretched by a safety margin because the server
timestamps a request later than the client admitted it, by a delay that varies with
connection set-up and thread scheduling (measured on loopback under CPU contention: a
few ms typically, tens of ms at worst).
"""

from __future__ import annotations

import threading
import time

from form4_assets.edgar.errors import FairAccessBlocked

#: SEC's published ceiling for automated access to www.sec.gov.
EDGAR_MAX_REQUESTS_PER_SECOND = 10.0
#: How long SEC keeps a fair-access block in place.
FAIR_ACCESS_COOLDOWN_SECONDS = 600.0
#: Fraction the spacing is stretched by, so that server-side timestamps never show more
#: than `rate` requests in any one-second window although they lag the client's by a
#: varying delay.
SAFETY_MARGIN = 0.035
#: How late a thread may be admitted and still count as using its scheduled slot (timer
#: overshoot). Later than that, the slot is taken as "now": an admission borrowed from a
#: long-missed slot would squeeze the next request closer than the spacing.
ON_TIME_TOLERANCE = 0.002

_condition = threading.Condition()
_blocked_hosts: dict[str, tuple[float, str]] = {}
_paused_until: dict[str, float] = {}


class RateLimiter:
    """At most `rate` request starts per second, evenly spaced (see module docstring).

    All limiters share one lock (the module's condition), so a request that must satisfy
    several limiters (the process's and a lower one of its own) is admitted by all of them
    at the same instant.
    """

    def __init__(self, rate: float, margin: float = SAFETY_MARGIN) -> None:
        if not rate > 0:
            raise ValueError(f"requests per second must be positive, got {rate!r}")
        self.rate = rate
        self.spacing = (1.0 + margin) / rate
        self._last: float | None = None

    def _wait_needed(self, now: float) -> float:
        return 0.0 if self._last is None else self._last + self.spacing - now

    def _take(self, now: float) -> None:
        """Record the slot just used: the scheduled one if this admission is on time, else now."""
        scheduled = None if self._last is None else self._last + self.spacing
        self._last = scheduled if scheduled is not None and now <= scheduled + ON_TIME_TOLERANCE else now


#: The one limiter for all EDGAR traffic of this process.
PROCESS_LIMITER = RateLimiter(EDGAR_MAX_REQUESTS_PER_SECOND)


def _raise_if_blocked(host: str, now: float) -> None:
    blocked = _blocked_hosts.get(host)
    if blocked is not None and now < blocked[0]:
        raise FairAccessBlocked(blocked[1])


def admit(host: str, limiters: tuple[RateLimiter, ...]) -> float:
    """Wait until a request to `host` may start under every limiter; return its start time.

    Raises FairAccessBlocked (without waiting further) if the host has blocked this
    process within the cool-down period.
    """
    with _condition:
        while True:
            now = time.monotonic()
            _raise_if_blocked(host, now)
            wait = max(_paused_until.get(host, now) - now, *(limiter._wait_needed(now) for limiter in limiters))
            if wait <= 0:
                break
            _condition.wait(wait)
        for limiter in limiters:
            limiter._take(now)
        return now


def record_block(host: str, message: str) -> None:
    """Remember that `host` blocked us, so no thread in the process sends it another request."""
    with _condition:
        _blocked_hosts[host] = (time.monotonic() + FAIR_ACCESS_COOLDOWN_SECONDS, message)
        _condition.notify_all()


def pause(host: str, seconds: float) -> None:
    """Hold every request to `host` for `seconds` (the server asked so with Retry-After)."""
    with _condition:
        _paused_until[host] = max(_paused_until.get(host, 0.0), time.monotonic() + seconds)


def forget_host(host: str) -> None:
    """Drop any block or pause recorded for `host`: it is no longer the server that imposed
    them (the loopback stand-in calls this when it stops, since its port may be reused)."""
    with _condition:
        _blocked_hosts.pop(host, None)
        _paused_until.pop(host, None)
        _condition.notify_all()
