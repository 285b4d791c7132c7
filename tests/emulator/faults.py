"""Injected faults (control API / --fault) and the replication-lag window they can open."""

from __future__ import annotations

import dataclasses
import itertools
import re
import time

FAULT_FIELDS = {
    "method",
    "path",
    "status",
    "count",
    "retry_after",
    "delay_ms",
    "drop",
    "apply_then_fail",
    "replication_lag_ms",
    "code",
    "message",
}


@dataclasses.dataclass
class Fault:
    """One fault rule. `count` is how many matching requests it still affects (None = unlimited)."""

    path: str
    method: str | None = None
    status: int | None = None
    count: int | None = 1
    retry_after: str | None = None
    delay_ms: int = 0
    drop: bool = False
    apply_then_fail: bool = False
    replication_lag_ms: int = 0
    code: str | None = None
    # The error message; "" is allowed. Policy uploads fail now and then with "Object reference not set to an
    # instance of an object" or an UnknownError without a message, and a re-run works (azure-ad-b2c/advanced-policies
    # #47, ieftool #5, azure-ad-b2c/deploy-trustframework-policy #3).
    message: str | None = None
    id: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method not in (None, "*") and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    @property
    def failure_status(self) -> int | None:
        """The status to answer instead of the real response, if this fault replaces it."""
        if self.apply_then_fail:
            return self.status or 500
        return self.status

    def describe(self) -> str:
        if self.drop:
            return "drop"
        if self.apply_then_fail:
            return "apply_then_fail"
        if self.status:
            return "status"
        if self.replication_lag_ms:
            return "replication_lag"
        return "delay"

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _typed(raw: dict, name: str, kind, default):
    value = raw.get(name)
    if value is None:
        return default
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"fault field '{name}' must be an integer")
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"fault field '{name}' must be true or false")
    if kind is str and not isinstance(value, str):
        raise ValueError(f"fault field '{name}' must be a string")
    return value


def parse_fault(raw) -> Fault:
    """Validate one fault object; unknown fields are refused so typos don't silently do nothing."""
    if not isinstance(raw, dict):
        raise ValueError("a fault must be a JSON object")
    unknown = set(raw) - FAULT_FIELDS
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    path = _typed(raw, "path", str, None)
    if not path:
        raise ValueError("fault field 'path' (a regular expression) is required")
    try:
        re.compile(path)
    except re.error as exc:
        raise ValueError(f"fault field 'path' is not a valid regular expression: {exc}") from exc
    retry_after = raw.get("retry_after")
    if retry_after is not None and not isinstance(retry_after, (str, int)):
        raise ValueError("fault field 'retry_after' must be a string (seconds or an HTTP date)")
    fault = Fault(
        path=path,
        method=_typed(raw, "method", str, None),
        status=_typed(raw, "status", int, None),
        count=raw["count"] if "count" in raw else 1,
        retry_after=None if retry_after is None else str(retry_after),
        delay_ms=_typed(raw, "delay_ms", int, 0) or 0,
        drop=_typed(raw, "drop", bool, False) or False,
        apply_then_fail=_typed(raw, "apply_then_fail", bool, False) or False,
        replication_lag_ms=_typed(raw, "replication_lag_ms", int, 0) or 0,
        code=_typed(raw, "code", str, None),
        message=_typed(raw, "message", str, None),
    )
    _check_consistency(fault)
    return fault


def _check_consistency(fault: Fault) -> None:
    if fault.count is not None and (
        isinstance(fault.count, bool) or not isinstance(fault.count, int) or fault.count < 1
    ):
        raise ValueError("fault field 'count' must be a positive integer, or null for unlimited")
    if fault.status is not None and not 100 <= fault.status <= 599:
        raise ValueError("fault field 'status' must be an HTTP status code")
    if not (fault.status or fault.drop or fault.apply_then_fail or fault.delay_ms or fault.replication_lag_ms):
        raise ValueError(
            "a fault needs at least one effect: status, drop, apply_then_fail, delay_ms or replication_lag_ms"
        )
    if (fault.code or fault.message is not None) and not (fault.status or fault.apply_then_fail):
        raise ValueError(
            "fault fields 'code' and 'message' describe a failure: give 'status' (or 'apply_then_fail') too"
        )
    if fault.drop and (fault.status or fault.apply_then_fail):
        raise ValueError("'drop' sends no response, so it cannot be combined with 'status' or 'apply_then_fail'")


class FaultBook:
    """Active faults in insertion order; the first one matching a request is used (one fault per request)."""

    def __init__(self):
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, faults: list[Fault]) -> list[Fault]:
        for fault in faults:
            fault.id = next(self._ids)
            self._faults.append(fault)
        return faults

    def clear(self) -> None:
        self._faults = []

    def list(self) -> list[dict]:
        return [fault.to_json() for fault in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, consuming one of its uses; exhausted faults disappear."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None


class ReplicationLag:
    """Keysets that were just created under a replication_lag fault and are not yet 'visible' to reads."""

    def __init__(self):
        self._hidden_until: dict[str, float] = {}

    def hide(self, keyset_id: str, milliseconds: int) -> None:
        self._hidden_until[keyset_id.lower()] = time.monotonic() + milliseconds / 1000

    def is_hidden(self, keyset_id: str) -> bool:
        until = self._hidden_until.get(keyset_id.lower())
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._hidden_until[keyset_id.lower()]
            return False
        return True

    def clear(self) -> None:
        self._hidden_until = {}
