"""The live suite's record of what the tenant showed: printed at the end of the run, passed or failed."""

import pytest

FINDINGS = pytest.StashKey[list]()


@pytest.fixture
def record_finding(request):
    """Add a line to the findings printed after the tests (e.g. how the service stores a policy)."""
    return request.config.stash.setdefault(FINDINGS, []).append


def pytest_terminal_summary(terminalreporter, config):
    findings = config.stash.get(FINDINGS, [])
    if findings:
        terminalreporter.section("what the tenant showed")
        for line in findings:
            terminalreporter.line(line)
