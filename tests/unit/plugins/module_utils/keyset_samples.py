"""Sample keys, keysets and desired keys shared by the keyset decision, read and write tests."""

from ansible_collections.b2c.trustframework.plugins.module_utils import key_desired
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

NOW = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400
X5T = "abcdefghijklmnopqrstuvwxyz0"


def key(kid, kty="RSA", use="sig", nbf=NOW - 10 * DAY, exp=NOW + 100 * DAY, status="enabled", **extra):
    data = {"kid": kid, "kty": kty, "use": use, "nbf": nbf, "exp": exp, "status": status}
    data.update(extra)
    return dict((k, v) for k, v in data.items() if v is not None)


def keyset(*keys, name="B2C_1A_Sig"):
    return {"id": name, "keys": list(keys)}


def desired(**kwargs):
    kwargs.setdefault("keyset", "B2C_1A_Sig")
    return key_desired.DesiredKey(**kwargs)


def keyset_missing_error(code="AADB2C90073", status=400):
    """The real service's answer for a keyset it does not know (tests/emulator/README.md, Real-service behaviour)."""
    return GraphError(status=status, code=code, graph_message="KeyContainer with 'id': 'B2C_1A_X' cannot be found")
