"""Fixtures for the emulator's own tests: ready-made clients on a freshly reset emulator."""

from __future__ import annotations

import pytest

from tests.support.graph import emulator_client


@pytest.fixture
def anonymous(emulator_clean):
    """A client for the emulator with no Authorization header."""
    with emulator_client(emulator_clean, root="", token=None) as client:
        yield client


@pytest.fixture
def graph(emulator_clean):
    """A Graph client under /beta/trustFramework with a read-write token, on a clean emulator."""
    with emulator_client(emulator_clean) as client:
        yield client


@pytest.fixture
def keyset(graph):
    """An empty keyset; returns its stored id."""
    response = graph.post("/keySets", json={"id": "TestKeys"})
    assert response.status_code == 201
    return response.json()["id"]
