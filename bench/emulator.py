"""The test emulator, started for the benchmark, and what its request log says about a run."""

import collections
import contextlib
import os
import time

import httpx

from tests.emulator.pytest_plugin import EmulatorProcess

KEY_VALIDITY_SECONDS = 2 * 365 * 24 * 3600


@contextlib.contextmanager
def running_emulator(state_dir, latency_ms):
    """Run the emulator with `latency_ms` added to every Graph/login request; always stop it on the way out."""
    emulator = EmulatorProcess(state_dir, extra_args=["--latency-ms", str(latency_ms)])
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()


def env_for(emulator, token_cache_path):
    """Connection settings for the modules, the way a pipeline passes them: environment variables."""
    return dict(emulator.env(), B2C_TOKEN_CACHE_PATH=token_cache_path)


def fresh_token_cache_path(directory, label):
    """A cache file that does not exist yet: the module must log in again."""
    for number in range(1, 100000):
        path = os.path.join(directory, f"token-cache-{label}-{number}.json")
        if not os.path.exists(path):
            return path
    raise RuntimeError(f"too many token caches in {directory}")


def count_requests_by_kind(entries):
    """graph / token / discovery / msi counts of a request log (control calls are never logged)."""
    return dict(collections.Counter(entry["kind"] for entry in entries))


def create_keysets_with_signing_key(emulator, names, token):
    """Create each keyset straight through Graph with one usable RSA signing key.

    Done without the collection's modules so the reference cases (ping, uri)
    can run even when a module is broken, and so the converged cases start
    from a state the module did not shape itself.
    """
    now = int(time.time())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=emulator.url + "/beta/trustFramework", verify=emulator.ssl_context(),
                      headers=headers, timeout=30) as graph:
        for name in names:
            created = graph.post("/keySets", json={"id": name})
            created.raise_for_status()
            keyset_id = created.json()["id"]
            graph.post(f"/keySets/{keyset_id}/generateKey",
                       json={"use": "sig", "kty": "RSA", "nbf": now - 60, "exp": now + KEY_VALIDITY_SECONDS},
                       ).raise_for_status()
