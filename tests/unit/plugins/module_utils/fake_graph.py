"""An in-memory stand-in for GraphClient covering the keyset endpoints.

It deliberately misbehaves where that helps tests: keys come back with private
members (``d``, and ``k`` echoing an uploaded secret) so that the redaction of
return values and diffs is exercised. Faults can be injected per method and
path suffix, optionally "apply then fail" (the change happens, then the call
raises a GraphError with ``may_have_been_applied``).
"""

import itertools
from urllib.parse import unquote

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

ROOT = "/trustFramework/keySets"
LEAKY_PRIVATE_D = "PRIVATE-D-MUST-NOT-LEAK"


def _not_found(method, path, keyset_id):
    # What real tenants answer for a missing keyset (mrochon/IEFPolicies, ahauter/terraform-provider-azure-b2c-ief): 400 + AADB2C90073, not 404.
    return GraphError(
        status=400,
        code="AADB2C90073",
        method=method,
        path=path,
        request_id="req-400",
        graph_message="KeyContainer with 'id': '%s' cannot be found in the directory "
        "'fake.onmicrosoft.com'" % keyset_id,
    )


class OpaqueTokens:
    """A token provider whose token is no JWT (the lock then names the tenant as given)."""

    def get_token(self):
        return "opaque-token"

    def invalidate(self):
        pass


class FakeGraph:
    def __init__(self, keysets=None, now=1767225600):
        self.keysets = {}
        for keyset in keysets or []:
            self.keysets[keyset["id"].lower()] = {"id": keyset["id"], "keys": [dict(k) for k in keyset["keys"]]}
        self.calls = []
        self.faults = []
        self.now = now
        self.disable_new_keys = False  # some tenants report an uploaded key as disabled (policy-keys-overview.md leaves the status form undocumented)
        self._kids = itertools.count(1)
        self.token_provider = OpaqueTokens()  # GraphClient's: the task lock asks it which tenant the token names

    # ------------------------------------------------------------------ test helpers
    def fail(self, method, suffix, error=None, applied=False, times=1):
        """The next ``times`` matching calls raise ``error`` (after applying the change when ``applied``)."""
        error = error or GraphError(
            status=None, reason="connection dropped", method=method, may_have_been_applied=True, transport="protocol"
        )
        self.faults.append({"method": method, "suffix": suffix, "error": error, "applied": applied, "times": times})

    def writes(self):
        return [(m, p) for m, p, _b in self.calls if m != "GET"]

    def posts_to(self, suffix):
        return [c for c in self.calls if c[0] == "POST" and c[1].endswith(suffix)]

    def keys(self, keyset_id):
        return self.keysets[keyset_id.lower()]["keys"]

    # ------------------------------------------------------------------ GraphClient interface
    def get_all(self, path, params=None):
        self.calls.append(("GET", path, None))
        assert path == ROOT
        return [self._public(k) for k in self.keysets.values()]

    def request(self, method, path, *, json=None, params=None):
        self.calls.append((method, path, json))
        fault = self._take_fault(method, path)
        if fault and not fault["applied"]:
            raise fault["error"]
        answer = self._route(method, path, json)
        if fault:
            raise fault["error"]
        return answer

    # ------------------------------------------------------------------ internals
    def _take_fault(self, method, path):
        for fault in self.faults:
            if fault["times"] > 0 and fault["method"] == method and path.endswith(fault["suffix"]):
                fault["times"] -= 1
                return fault
        return None

    def _public(self, keyset):
        return {"id": keyset["id"], "keys": [dict(k) for k in keyset["keys"]]}

    def _keyset(self, method, path, keyset_id):
        keyset = self.keysets.get(keyset_id.lower())
        if keyset is None:
            raise _not_found(method, path, keyset_id)
        return keyset

    def _route(self, method, path, body):
        assert path.startswith(ROOT), path
        parts = [unquote(p) for p in path[len(ROOT) :].split("/") if p]
        if not parts:
            assert method == "POST"
            return self._create(body)
        keyset = self._keyset(method, path, parts[0])
        if len(parts) == 1:
            return self._keyset_call(method, keyset, body)
        if parts[1] == "keys_v2":
            return self._key_v2(method, path, keyset, parts[2], body)
        return getattr(self, "_" + parts[1])(keyset, body)

    def _create(self, body):
        assert "@odata.type" not in body
        keyset_id = body["id"] if body["id"].upper().startswith("B2C_1A_") else "B2C_1A_" + body["id"]
        if keyset_id.lower() in self.keysets:
            raise GraphError(status=400, code="AADB2C95028", graph_message="already exists", method="POST", path=ROOT)
        keys = [self._stored(dict(k)) for k in body.get("keys") or []]
        self.keysets[keyset_id.lower()] = {"id": keyset_id, "keys": keys}
        return self._public(self.keysets[keyset_id.lower()])

    def _keyset_call(self, method, keyset, body):
        if method == "GET":
            return self._public(keyset)
        if method == "PUT":
            keyset["keys"] = [self._stored(dict(k)) for k in body["keys"]]
            return self._public(keyset)
        assert method == "DELETE"
        del self.keysets[keyset["id"].lower()]
        return None

    def _stored(self, key):
        key.setdefault("kid", "kid-%d" % next(self._kids))
        key.setdefault("status", "enabled")
        return key

    def _add(self, keyset, key):
        self._check_mix(keyset, key["kty"])
        if self.disable_new_keys:
            key["status"] = "disabled"
        keyset["keys"].append(self._stored(key))
        return dict(key)

    def _check_mix(self, keyset, kty):
        families = set(k["kty"].lower() for k in keyset["keys"])
        if families and families != {kty.lower()}:
            raise GraphError(status=400, code="AADB2C95032", graph_message="cannot mix", method="POST")

    def _generateKey(self, keyset, body):
        assert set(body) <= {"use", "kty", "nbf", "exp"} and body["kty"] in ("RSA", "OCT")
        key = {
            "kty": body["kty"],
            "use": body["use"],
            "nbf": body.get("nbf", self.now),
            "exp": body.get("exp", self.now + 2 * 365 * 86400),
            "e": "AQAB",
            "n": "modulus",
            "d": LEAKY_PRIVATE_D,
        }
        return self._add(keyset, key)

    def _uploadSecret(self, keyset, body):
        # Misbehaving on purpose: echoes the secret as ``k``.
        key = {"kty": "OCT", "use": body["use"], "k": body["k"]}
        for name in ("nbf", "exp"):
            if name in body:
                key[name] = body[name]
        return self._add(keyset, key)

    def _uploadCertificate(self, keyset, body):
        return self._add(keyset, self._from_certificate_der(body["key"]))

    def _uploadPkcs12(self, keyset, body):
        import base64

        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12

        try:
            _k, cert, _c = pkcs12.load_key_and_certificates(
                base64.b64decode(body["key"]), body["password"].encode() or None
            )
        except ValueError:
            raise GraphError(status=400, code="AADB2C", graph_message="bad pfx", method="POST") from None
        return self._add(
            keyset, self._from_certificate_der(base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode())
        )

    def _from_certificate_der(self, cert_b64):
        import base64
        import hashlib

        from cryptography import x509

        der = base64.b64decode(cert_b64)
        cert = x509.load_der_x509_certificate(der)
        return {
            "kty": "RSA",
            "use": "sig",
            "x5c": [cert_b64],
            "x5t": base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("="),
            "nbf": int(cert.not_valid_before_utc.timestamp()),
            "exp": int(cert.not_valid_after_utc.timestamp()),
        }

    def _getActiveKey(self, keyset, body):
        usable = [
            k
            for k in keyset["keys"]
            if k.get("status", "enabled") == "enabled" and k.get("nbf", 0) <= self.now < k.get("exp", 10**12)
        ]
        if not usable:
            raise GraphError(status=404, code="itemNotFound", method="GET", path="getActiveKey")
        return dict(max(usable, key=lambda k: k.get("nbf", 0)))

    def _key_v2(self, method, path, keyset, kid, body):
        for key in keyset["keys"]:
            if key["kid"] == kid:
                if method == "GET":
                    return {"value": dict(key)}
                assert method == "PATCH" and set(body) == {"status"}
                key["status"] = body["status"]
                return None
        raise GraphError(status=404, code="itemNotFound", method=method, path=path)
