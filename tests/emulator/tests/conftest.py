"""Fixtures for the emulator's own tests: ready-made clients on a freshly reset emulator."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def anonymous(emulator_clean):
    """A client for the emulator with no Authorization header."""
    with httpx.Client(base_url=emulator_clean.url, verify=emulator_clean.ssl_context(), timeout=30) as client:
        yield client


@pytest.fixture
def graph(emulator_clean):
    """A Graph client under /beta/trustFramework with a read-write token, on a clean emulator."""
    headers = {"Authorization": f"Bearer {emulator_clean.mint_token()}"}
    with httpx.Client(base_url=f"{emulator_clean.url}/beta/trustFramework", headers=headers,
                      verify=emulator_clean.ssl_context(), timeout=30) as client:
        yield client


@pytest.fixture
def keyset(graph):
    """An empty keyset; returns its stored id."""
    response = graph.post("/keySets", json={"id": "TestKeys"})
    assert response.status_code == 201
    return response.json()["id"]
