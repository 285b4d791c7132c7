"""Keysets, custom policies and the clock offset in memory, persisted to DIR/state.json after every change."""

from __future__ import annotations

import json
import os
import tempfile

from .clock import Clock
from .keys import public_view

STATE_VERSION = 1


class TenantStore:
    """Ordered keysets and policies (creation order is the list order); ids are matched case-insensitively.

    The clock's offset is saved with them: keys dated in shifted time must not jump into the
    past or the future when the emulator restarts.
    """

    def __init__(self, path: str, clock: Clock):
        self.path = path
        self.clock = clock
        self._keysets: list[dict] = []
        self._policies: list[dict] = []  # {"id", "xml"}: the policy text as stored
        self._load()

    # -- queries --------------------------------------------------------------------------
    def all(self) -> list[dict]:
        return list(self._keysets)

    def find(self, keyset_id: str) -> dict | None:
        return _by_id(self._keysets, keyset_id)

    def policies(self) -> list[dict]:
        return list(self._policies)

    def find_policy(self, policy_id: str) -> dict | None:
        return _by_id(self._policies, policy_id)

    @staticmethod
    def find_key(keyset: dict, kid: str) -> dict | None:
        return next((key for key in keyset["keys"] if key.get("kid") == kid), None)

    # -- changes (each one is saved before the response goes out) ------------------------
    def create(self, keyset_id: str, keys: list[dict]) -> dict:
        keyset = {"id": keyset_id, "keys": [public_view(key) for key in keys]}
        self._keysets.append(keyset)
        self._save()
        return keyset

    def replace_keys(self, keyset: dict, keys: list[dict]) -> None:
        keyset["keys"] = [public_view(key) for key in keys]
        self._save()

    def add_key(self, keyset: dict, key: dict) -> dict:
        stored = public_view(key)
        keyset["keys"].append(stored)
        self._save()
        return stored

    def set_status(self, key: dict, status: str) -> None:
        key["status"] = status
        self._save()

    def delete(self, keyset: dict) -> None:
        self._keysets.remove(keyset)
        self._save()

    def put_policy(self, policy_id: str, text: str) -> bool:
        """Create or replace; True when it is new. A replaced policy keeps the id it was created with."""
        policy = self.find_policy(policy_id)
        if policy is None:
            self._policies.append({"id": policy_id, "xml": text})
        else:
            policy["xml"] = text
        self._save()
        return policy is None

    def delete_policy(self, policy: dict) -> None:
        self._policies.remove(policy)
        self._save()

    def set_clock_offset(self, seconds: int) -> None:
        self.clock.offset_seconds = seconds
        self._save()

    def clear(self) -> None:
        """An empty tenant at real time."""
        self._keysets = []
        self._policies = []
        self.clock.offset_seconds = 0
        self._save()

    # -- persistence -------------------------------------------------------------------------
    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as handle:
            state = json.load(handle)
        self._keysets = state.get("keysets", [])
        self._policies = state.get("policies", [])
        self.clock.offset_seconds = state.get("clock_offset_seconds", 0)

    def _save(self) -> None:
        """Write a temp file (0600) next to the state file, then rename it over: readers never see half a file.

        No fsync: this protects against the emulator dying mid-write, which is all a test double needs.
        """
        directory = os.path.dirname(self.path) or "."
        fd, tmp_path = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=directory)  # mkstemp creates 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(
                    {
                        "version": STATE_VERSION,
                        "clock_offset_seconds": self.clock.offset_seconds,
                        "keysets": self._keysets,
                        "policies": self._policies,
                    },
                    handle,
                    indent=1,
                )
            os.replace(tmp_path, self.path)
        except BaseException:
            if os.path.exists(tmp_path):
                os.unlink(tmp_path)
            raise


def _by_id(items: list[dict], wanted: str) -> dict | None:
    wanted = wanted.lower()
    return next((item for item in items if item["id"].lower() == wanted), None)
