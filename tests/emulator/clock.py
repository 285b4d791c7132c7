"""The emulator's time: the real clock plus an offset that tests move (POST /_emulator/clock).

Everything time-dependent in the emulator asks this clock, not the time module: key defaults and
expiry, the active-key rule, token and client-assertion lifetimes, error timestamps and the request
log. Moving it lets a test live through months of key rotation in seconds.
"""

from __future__ import annotations

import datetime
import time


class Clock:
    def __init__(self, offset_seconds: int = 0):
        self.offset_seconds = offset_seconds

    def now(self) -> int:
        """Epoch seconds in the emulator's time."""
        return int(time.time()) + self.offset_seconds

    def now_datetime(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.offset_seconds)

    def to_json(self) -> dict:
        now = self.now()
        return {
            "now": now,
            "now_iso": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "offset_seconds": self.offset_seconds,
        }
