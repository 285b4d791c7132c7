"""Quick figures for the emulator: start-up time to READY and GET-keyset throughput.

python -m tests.emulator.measure [--starts 5] [--requests 500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import httpx

from .pytest_plugin import EmulatorProcess


def startup_seconds(state_dir: str) -> float:
    started = time.perf_counter()
    emu = EmulatorProcess(state_dir=state_dir).start()
    elapsed = time.perf_counter() - started
    emu.stop()
    return elapsed


def measure_startup(starts: int) -> None:
    cold = [startup_seconds(tempfile.mkdtemp(prefix="emu-cold-")) for _attempt in range(starts)]
    warm_dir = tempfile.mkdtemp(prefix="emu-warm-")
    startup_seconds(warm_dir)  # creates CA, server cert and signing key once
    warm = [startup_seconds(warm_dir) for _attempt in range(starts)]
    for label, values in (("fresh state dir", cold), ("existing state dir", warm)):
        print(
            f"start-up to READY, {label}: median {statistics.median(values):.3f} s, "
            f"max {max(values):.3f} s over {len(values)} starts"
        )


def measure_throughput(requests: int) -> None:
    with EmulatorProcess() as emu:
        headers = {"Authorization": f"Bearer {emu.mint_token()}"}
        with httpx.Client(base_url=emu.url, verify=emu.ssl_context(), headers=headers) as client:
            client.post("/beta/trustFramework/keySets", json={"id": "Bench"})
            client.post("/beta/trustFramework/keySets/B2C_1A_Bench/generateKey", json={"use": "sig", "kty": "RSA"})
            url = "/beta/trustFramework/keySets/B2C_1A_Bench"
            for _attempt in range(20):  # warm up the connection
                client.get(url)
            started = time.perf_counter()
            for _attempt in range(requests):
                client.get(url).raise_for_status()
            elapsed = time.perf_counter() - started
    print(
        f"GET keyset, one keep-alive httpx client: {requests} requests in {elapsed:.2f} s = "
        f"{requests / elapsed:.0f} req/s ({elapsed / requests * 1000:.2f} ms each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    measure_startup(args.starts)
    measure_throughput(args.requests)


if __name__ == "__main__":
    main()
