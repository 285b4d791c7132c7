"""A client of the emulator's Graph API, for the tests that seed or read the tenant directly: the one way
the integration and emulator suites build it.

Typical use::

    with emulator_client(emulator) as graph:                   # /beta/trustFramework, ReadWrite token minted now
        graph.get("/keySets")
    emulator_client(emulator, root="")                         # paths from the emulator's root (/beta/..., /_emulator/...)
    emulator_client(emulator, token=emulator.mint_token(read_only=True))
    emulator_client(emulator, token=None)                      # no Authorization header
"""

import httpx

TRUST_FRAMEWORK = "/beta/trustFramework"
MINTED = object()  # default token: one the emulator mints now, in its current time, with the ReadWrite roles
TIMEOUT = 30


def emulator_client(emulator, root=TRUST_FRAMEWORK, token=MINTED, **options):
    """An httpx.Client for ``emulator`` (an EmulatorProcess) under ``root``, trusting only the emulator's CA.

    ``token`` is sent as a Bearer token (None: no Authorization header); ``options`` go to httpx.Client.
    """
    if token is MINTED:
        token = emulator.mint_token()
    headers = {} if token is None else {"Authorization": "Bearer " + token}
    options.setdefault("timeout", TIMEOUT)
    return httpx.Client(base_url=emulator.url + root, verify=emulator.ssl_context(), headers=headers, **options)
