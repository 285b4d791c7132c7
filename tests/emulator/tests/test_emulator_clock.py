"""The emulator's movable clock: keys, the active-key rule, tokens and assertions follow it."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from tests.emulator.pytest_plugin import DAY, EmulatorProcess
from tests.emulator.tests.helpers import b2c_refusal, client_certificate, graph_error_code
from tests.emulator.tokens import certificate_thumbprints
from tests.support.graph import emulator_client

KEYSET = "B2C_1A_Clocked"


def add_key(emu: EmulatorProcess, **window) -> dict:
    with emulator_client(emu) as client:
        response = client.post(f"/keySets/{KEYSET}/generateKey", json={"use": "sig", "kty": "RSA", **window})
    assert response.status_code == 200, response.text
    return response.json()


def active_kid(emu: EmulatorProcess) -> str:
    with emulator_client(emu) as client:
        response = client.get(f"/keySets/{KEYSET}/getActiveKey")
    assert response.status_code == 200, response.text
    return response.json()["kid"]


@pytest.fixture
def clocked(emulator_clean):
    with emulator_client(emulator_clean) as client:
        client.post("/keySets", json={"id": KEYSET}).raise_for_status()
    return emulator_clean


def real_time_during(call):
    """``call()``'s result and the (earliest, latest) whole second of real time it ran in."""
    before = int(time.time())
    result = call()
    return result, (before, int(time.time()))


def test_clock_starts_at_real_time_and_moves(emulator_clean):
    clock, (earliest, latest) = real_time_during(emulator_clean.clock)
    assert clock["offset_seconds"] == 0 and earliest <= clock["now"] <= latest
    shifted, (earliest, latest) = real_time_during(lambda: emulator_clean.shift_clock(days=20))
    assert shifted["offset_seconds"] == 20 * DAY
    assert earliest + 20 * DAY <= shifted["now"] <= latest + 20 * DAY  # shifted once: the emulator runs on real time
    assert emulator_clean.advance_clock(days=1, seconds=-60)["offset_seconds"] == 21 * DAY - 60
    assert emulator_clean.shift_clock()["offset_seconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"offset_seconds": 1, "advance_seconds": 1},
        {"offset_seconds": "10"},
        {"offset_seconds": True},
        {"offset_seconds": 1.5},
        {"days": 1},
        [1],
    ],
)
def test_bad_clock_requests_are_refused(anonymous, emulator_clean, body):
    response = anonymous.post("/_emulator/clock", json=body)
    assert response.status_code == 400 and "error" in response.json()
    assert emulator_clean.clock()["offset_seconds"] == 0


def test_active_key_flips_when_the_clock_passes_the_successors_nbf(clocked):
    now = clocked.clock()["now"]
    current = add_key(clocked)
    successor = add_key(clocked, nbf=now + 10 * DAY, exp=now + 400 * DAY)
    assert active_kid(clocked) == current["kid"]
    clocked.shift_clock(days=11)
    assert active_kid(clocked) == successor["kid"]


def test_a_key_expires_in_shifted_time(clocked):
    now = clocked.clock()["now"]
    add_key(clocked, exp=now + 5 * DAY)
    clocked.shift_clock(days=6)
    with emulator_client(clocked) as client:
        assert b2c_refusal(client.get(f"/keySets/{KEYSET}/getActiveKey")) == "AADB2C90220"
        # ...and a key whose exp is still ahead in real time is already in the past for the service
        refused = client.post(
            f"/keySets/{KEYSET}/generateKey", json={"use": "sig", "kty": "RSA", "nbf": now, "exp": now + DAY}
        )
    assert b2c_refusal(refused) == "AADB2C90214"


def test_new_key_defaults_start_at_shifted_now(clocked):
    now = clocked.shift_clock(days=100)["now"]
    key = add_key(clocked)
    assert now <= key["nbf"] <= clocked.clock()["now"] and key["exp"] - key["nbf"] == 2 * 365 * DAY


def test_tokens_live_in_shifted_time(anonymous, emulator_clean):
    before = emulator_clean.mint_token()
    now = emulator_clean.shift_clock(days=1)["now"]
    expired = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {before}"})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    issued = anonymous.post(
        f"/{emulator_clean.tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator_clean.client_id,
            "client_secret": emulator_clean.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    ).json()
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert (
        now <= claims["iat"] <= emulator_clean.clock()["now"] and claims["exp"] - claims["iat"] == issued["expires_in"]
    )
    works = anonymous.get("/beta/trustFramework/keySets", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert works.status_code == 200


def _assertion_token_request(client, emu: EmulatorProcess, issued_at: int) -> httpx.Response:
    """A certificate client assertion (RS256 + x5t, as msal makes it) dated ``issued_at``."""
    pem, cert = client_certificate(emu)
    token_url = f"{emu.url}/{emu.tenant}/oauth2/v2.0/token"
    claims = {
        "aud": token_url,
        "iss": emu.client_id,
        "sub": emu.client_id,
        "jti": str(uuid.uuid4()),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + 600,
    }
    assertion = jwt.encode(claims, pem, algorithm="RS256", headers={"x5t": certificate_thumbprints(cert)["x5t"]})
    return client.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )


@pytest.mark.parametrize("days", [30, -30])
def test_client_assertions_are_checked_against_shifted_time(anonymous, emulator_clean, days):
    real_now = int(time.time())
    shifted_now = emulator_clean.shift_clock(days=days)["now"]
    assert _assertion_token_request(anonymous, emulator_clean, shifted_now).status_code == 200
    refused = _assertion_token_request(anonymous, emulator_clean, real_now)  # expired, or not valid yet
    assert refused.status_code == 401 and 700027 in refused.json()["error_codes"]


def test_error_dates_and_request_log_use_shifted_time(anonymous, emulator_clean):
    shifted = emulator_clean.shift_clock(days=365)["now_iso"]
    response = anonymous.get("/beta/trustFramework/keySets")
    graph_error_code(response)
    assert response.json()["error"]["innerError"]["date"][:10] == shifted[:10]
    assert emulator_clean.requests()[-1]["time"][:10] == shifted[:10]


def test_offset_survives_restart_and_reset_returns_to_real_time(tmp_path):
    with EmulatorProcess(state_dir=str(tmp_path / "state")) as emu:
        emu.shift_clock(days=42)
        emu.restart()
        assert emu.clock()["offset_seconds"] == 42 * DAY
        emu.reset()
        assert emu.clock()["offset_seconds"] == 0
