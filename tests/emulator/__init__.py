"""Local HTTPS stand-in for the Azure AD B2C login service and Microsoft Graph keysets.

Used by the integration tests, the demo and the benchmarks of the collection;
never shipped in the built collection (see galaxy.yml build_ignore).
Start it with ``python -m tests.emulator --port 8443 --state-dir DIR``.
"""
