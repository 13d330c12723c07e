"""Login throttling: failed logins are counted per user and per client address, and after
``web.login_free_failures`` of them each further attempt must wait, the wait doubling from
``web.login_backoff_s`` up to ``web.login_backoff_max_s``.

An attempt counts as a failure when it starts, before its password is checked, and a success
clears the count: guesses sent all at once cannot slip through before the first failure is
recorded. A refused attempt is not counted, so someone hammering a locked account does not
lengthen the lockout of its owner beyond the cap. The counts live in the web process (one per
app, no store write per guess); a restart forgets them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

_FORGIVE_AFTER_S = 86_400.0  # a day without an attempt clears a key's failures
_MAX_KEYS = 20_000  # bounds memory when someone tries endless user names or addresses


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Per-user and per-address failure counts with exponential backoff.

    Args:
        free_failures: failures allowed before the first wait.
        backoff_s: the first wait; it doubles with every further failure.
        max_backoff_s: the longest wait.
    """

    def __init__(self, free_failures: int, backoff_s: float, max_backoff_s: float):
        self.free_failures = free_failures
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._keys: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys_of(user: str, address: str | None) -> tuple[str, str]:
        # Case and spaces do not make another user: "Ana " is counted with "ana".
        return "user:" + user.strip().casefold(), "addr:" + (address or "?")

    def _wait(self, key: str, now: float) -> float:
        entry = self._keys.get(key)
        if entry is None:
            return 0.0
        if now - entry.last > _FORGIVE_AFTER_S:
            del self._keys[key]
            return 0.0
        over = entry.count - self.free_failures
        if over < 0:
            return 0.0
        delay = min(self.max_backoff_s, self.backoff_s * 2.0 ** over)
        return max(0.0, entry.last + delay - now)

    def begin(self, user: str, address: str | None, now: float | None = None) -> float:
        """Start a login attempt: 0 when it may go on (it is counted as a failure until
        `succeeded`), else the seconds to wait (the attempt is refused and not counted)."""
        now = time.time() if now is None else now
        keys = self._keys_of(user, address)
        with self._lock:
            wait = max(self._wait(k, now) for k in keys)
            if wait > 0:
                return wait
            for k in keys:
                entry = self._keys.setdefault(k, _Failures(0, now))
                entry.count += 1
                entry.last = now
            if len(self._keys) > _MAX_KEYS:
                self._prune(now)
            return 0.0

    def failures(self, user: str, address: str | None) -> int:
        """Failed attempts counted for this user or this address, whichever is more."""
        with self._lock:
            return max((self._keys[k].count for k in self._keys_of(user, address)
                        if k in self._keys), default=0)

    def succeeded(self, user: str, address: str | None) -> None:
        """A correct password: the user's and the address's failures are cleared."""
        with self._lock:
            for k in self._keys_of(user, address):
                self._keys.pop(k, None)

    def _prune(self, now: float) -> None:
        """Drop forgiven keys, then the longest quiet ones (the active ones are kept)."""
        for k in [k for k, e in self._keys.items() if now - e.last > _FORGIVE_AFTER_S]:
            del self._keys[k]
        if len(self._keys) > _MAX_KEYS:
            keep = sorted(self._keys.items(), key=lambda kv: kv[1].last)[-_MAX_KEYS // 2:]
            self._keys = dict(keep)
