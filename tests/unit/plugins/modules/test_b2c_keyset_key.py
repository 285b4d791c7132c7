"""b2c_keyset_key: check mode, apply, idempotency, errors and secrets, against a FakeGraph."""

import json
import os
import time

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from ansible_collections.b2c.trustframework.plugins.modules import b2c_keyset_key
from tests.support.certs import b64, ec_key, pem, pfx, self_signed
from tests.unit.plugins.module_utils.fake_graph import LEAKY_PRIVATE_D

DAY = 86400
SECRET = "fb-app-secret-value-1234"
PFX_PASSWORD = "pfx-password-5678"


@pytest.fixture
def run(run_module):
    def run_key(**args):
        return run_module(b2c_keyset_key, **args)

    return run_key


def assert_no_secrets(result):
    text = json.dumps(result)
    for secret in (SECRET, PFX_PASSWORD, LEAKY_PRIVATE_D):
        assert secret not in text


def test_generate_check_apply_idempotent(run, graph):
    checked = run(keyset="TokenSigningKeyContainer", check_mode=True, diff=True)
    assert (checked["changed"], checked["action"], checked["keyset_created"]) == (True, "generated", True)
    assert checked["key"]["kid"] is None and checked["key"]["kty"] == "RSA"
    assert checked["diff"]["before"] == {} and checked["diff"]["after"]["id"] == "B2C_1A_TokenSigningKeyContainer"
    assert graph.writes() == []

    applied = run(keyset="TokenSigningKeyContainer", diff=True)
    assert (applied["changed"], applied["action"], applied["keyset_created"]) == (True, "generated", True)
    assert applied["key"]["kid"] and applied["key"]["status"] == "enabled"
    assert [k["kid"] for k in applied["keyset"]["key_list"]] == [applied["key"]["kid"]]
    assert applied["diff"]["after"]["key_list"][0]["kid"] == applied["key"]["kid"]
    assert_no_secrets(applied)

    again = run(keyset="B2C_1A_tokensigningkeycontainer")
    assert (again["changed"], again["action"], again["keyset_created"]) == (False, "none", False)
    assert again["key"]["kid"] == applied["key"]["kid"]
    assert run(keyset="TokenSigningKeyContainer", check_mode=True)["changed"] is False
    assert len(graph.posts_to("generateKey")) == 1


def test_enc_next_to_sig_is_refused_before_any_write(run, graph):
    run(keyset="Tokens")
    graph.calls.clear()
    result = run(keyset="Tokens", use="ENC", kty="RSA")
    assert result["failed"] and "cannot mix sig and enc keys (AADB2C95042)" in result["msg"]
    assert graph.writes() == []


def test_generate_sends_validity(run, graph):
    run(keyset="Timed", nbf="2030-01-01T00:00:00Z", valid_days=30)
    body = graph.posts_to("generateKey")[0][2]
    assert body == {"use": "sig", "kty": "RSA", "nbf": 1893456000, "exp": 1893456000 + 30 * DAY}


def test_renew_before_days(run, graph):
    graph.keysets["b2c_1a_sig"] = {
        "id": "B2C_1A_Sig",
        "keys": [
            {"kid": "old", "kty": "RSA", "use": "sig", "nbf": 0, "exp": int(time.time()) + 5 * DAY, "status": "enabled"}
        ],
    }
    assert run(keyset="Sig")["changed"] is False
    renewed = run(keyset="Sig", renew_before_days=30, valid_days=365)
    assert (renewed["action"], renewed["key"]["expires_in_days"]) == ("generated", 365)
    assert run(keyset="Sig", renew_before_days=30, valid_days=365)["changed"] is False


def test_force_always_adds(run, graph):
    run(keyset="Sig")
    assert run(keyset="Sig", force=True)["action"] == "generated"
    assert len(graph.keys("B2C_1A_Sig")) == 2


def test_secret_on_create_and_always(run, graph):
    first = run(keyset="FacebookSecret", source="secret", secret=SECRET, diff=True)
    assert (first["changed"], first["action"], first["key"]["kty"]) == (True, "uploaded", "OCT")
    assert graph.posts_to("uploadSecret")[0][2] == {"use": "sig", "k": SECRET}
    assert_no_secrets(first)  # the fake echoes the secret as "k": it must not come back
    second = run(keyset="FacebookSecret", source="secret", secret=SECRET)
    assert second["changed"] is False
    always = run(keyset="FacebookSecret", source="secret", secret=SECRET, update_secret="always")
    assert (always["changed"], always["action"]) == (True, "uploaded")
    assert_no_secrets(always)


def test_secret_into_rsa_keyset_fails_locally(run, graph):
    run(keyset="Sig")
    result = run(keyset="Sig", source="secret", secret=SECRET)
    assert result["failed"]
    assert "holds RSA keys; a keyset cannot mix RSA and oct keys (AADB2C95032)" in result["msg"]
    assert graph.posts_to("uploadSecret") == []
    assert_no_secrets(result)


@pytest.fixture
def cert_files(tmp_path):
    key, cert = self_signed()
    cert_path = tmp_path / "cert.pem"
    cert_path.write_text(pem(cert))
    pfx_path = tmp_path / "bundle.pfx"
    pfx_path.write_bytes(pfx(key, cert, PFX_PASSWORD))
    return cert, str(cert_path), str(pfx_path)


def test_certificate_upload_is_idempotent_by_x5t(run, graph, cert_files):
    _cert, cert_path, _pfx = cert_files
    checked = run(keyset="SamlCert", source="certificate", certificate_path=cert_path, check_mode=True)
    assert checked["action"] == "uploaded" and checked["key"]["x5t"]
    uploaded = run(keyset="SamlCert", source="certificate", certificate_path=cert_path)
    assert (uploaded["action"], uploaded["key"]["x5t"]) == ("uploaded", checked["key"]["x5t"])
    again = run(keyset="SamlCert", source="certificate", certificate=open(cert_path).read())
    assert (again["changed"], again["key"]["kid"]) == (False, uploaded["key"]["kid"])


def test_pkcs12_upload_is_idempotent_by_x5t(run, graph, cert_files):
    cert, _cert_path, pfx_path = cert_files
    uploaded = run(keyset="SamlPfx", source="pkcs12", pkcs12_path=pfx_path, pkcs12_password=PFX_PASSWORD)
    assert uploaded["action"] == "uploaded"
    assert graph.posts_to("uploadPkcs12")[0][2]["password"] == PFX_PASSWORD
    assert_no_secrets(uploaded)
    again = run(
        keyset="SamlPfx", source="pkcs12", pkcs12=b64(open(pfx_path, "rb").read()), pkcs12_password=PFX_PASSWORD
    )
    assert again["changed"] is False


def test_pkcs12_wrong_password_fails_before_any_request(run, graph, cert_files):
    result = run(keyset="SamlPfx", source="pkcs12", pkcs12_path=cert_files[2], pkcs12_password="nope")
    assert result["failed"] and "pkcs12_path" in result["msg"] and "wrong pkcs12_password" in result["msg"]
    assert graph.calls == []


def test_missing_certificate_file_names_the_option(run, graph, tmp_path):
    result = run(keyset="C", source="certificate", certificate_path=str(tmp_path / "nope.pem"))
    assert result["failed"] and "certificate_path" in result["msg"]
    assert graph.calls == []


def test_ec_certificate_and_pkcs12_fail_before_any_request(run, graph):
    key, cert = self_signed(key=ec_key())
    for options in (
        {"source": "certificate", "certificate": pem(cert)},
        {"source": "pkcs12", "pkcs12": b64(pfx(key, cert, "pw")), "pkcs12_password": "pw"},
    ):
        result = run(keyset="EcCert", **options)
        assert result["failed"] and "has an EC (secp256r1) key; B2C policy keys are RSA only" in result["msg"]
    assert graph.calls == []


def test_expired_certificate_fails(run, graph, tmp_path):
    _key, old = self_signed(days_valid=-1, days_before=10)
    result = run(keyset="C", source="certificate", certificate=pem(old))
    assert result["failed"] and "expired" in result["msg"]
    assert graph.calls == []


@pytest.mark.parametrize(
    "args, message",
    [
        ({"exp": "2001-01-01"}, "in the past"),
        ({"nbf": "2031-01-01", "exp": "2030-01-01"}, "must be after nbf"),
        ({"kty": "EC"}, "value of kty must be one of: rsa, oct, RSA, OCT, got: EC"),
        ({"use": "both"}, "value of use must be one of: sig, enc, SIG, ENC, got: both"),
        ({"kty": "Rsa"}, "value of kty must be one of: rsa, oct, RSA, OCT, got: Rsa"),  # lower or upper case only
        ({"secret": SECRET}, "secret is for source=secret, but source is generate"),
        ({"keyset": "bad name"}, "keyset='bad name' may only hold"),
        ({"renew_before_days": 30, "valid_days": 10}, "renewed on every run"),
        ({"source": "certificate", "certificate": "x", "valid_days": 10}, "valid_days does not apply"),
    ],
)
def test_invalid_options_fail_before_any_request(run, graph, args, message):
    result = run(**dict({"keyset": "Sig"}, **args))
    assert result["failed"] and message in result["msg"], result["msg"]
    assert graph.calls == []
    assert_no_secrets(result)


def test_missing_keyset_without_create_keyset(run, graph):
    result = run(keyset="Missing", create_keyset=False)
    assert result["failed"] and "does not exist and create_keyset is false" in result["msg"]
    assert "b2c_keyset" in result["msg"]
    assert graph.writes() == []


def test_disabling_the_only_key_is_refused_without_force(run, graph):
    kid = run(keyset="Sig")["key"]["kid"]
    for check_mode in (True, False):
        refused = run(keyset="Sig", kid=kid, status="disabled", check_mode=check_mode)
        assert (
            refused["failed"]
            and "is the active key of keyset B2C_1A_Sig; disabling it leaves no active key" in refused["msg"]
        )
        assert "Set force: true" in refused["msg"]
    assert not [c for c in graph.calls if c[0] == "PATCH"]


def test_status_disable_and_idempotent(run, graph):
    kid = run(keyset="Sig")["key"]["kid"]
    checked = run(keyset="Sig", kid=kid, status="disabled", force=True, check_mode=True, diff=True)
    assert (checked["action"], checked["key"]["status"]) == ("status_changed", "disabled")
    assert checked["diff"]["after"]["key_list"][0]["status"] == "disabled"
    assert not [c for c in graph.calls if c[0] == "PATCH"]
    done = run(keyset="Sig", kid=kid, status="disabled", force=True)
    assert (done["changed"], done["key"]["status"]) == (True, "disabled")
    again = run(keyset="Sig", kid=kid, status="disabled")
    assert (again["changed"], again["action"]) == (False, "none")
    assert len([c for c in graph.calls if c[0] == "PATCH"]) == 1


def test_status_of_unknown_kid(run, graph):
    run(keyset="Sig")
    result = run(keyset="Sig", kid="nope", status="enabled")
    assert result["failed"] and "has no key with kid 'nope'" in result["msg"]


def test_kid_without_status_is_rejected(run):
    result = run(keyset="Sig", kid="abc")
    assert result["failed"] and "kid" in result["msg"] and "status" in result["msg"]


def test_403_names_the_permission_and_role(run, graph):
    denied = GraphError(
        status=403,
        code="Authorization_RequestDenied",
        request_id="req-1",
        method="GET",
        path="/trustFramework/keySets/B2C_1A_Sig",
    )
    graph.fail("GET", "B2C_1A_Sig", denied)
    result = run(keyset="Sig")
    assert result["failed"]
    assert "TrustFrameworkKeySet.ReadWrite.All" in result["msg"] and "B2C IEF Keyset Administrator" in result["msg"]
    details = (result["status"], result["graph_error_code"], result["request_id"])
    assert details == (403, "Authorization_RequestDenied", "req-1")


def test_ambiguous_generate_failure_adds_exactly_one_key(run, graph):
    run(keyset="Sig", check_mode=True)
    graph.keysets["b2c_1a_sig"] = {"id": "B2C_1A_Sig", "keys": []}
    graph.fail("POST", "generateKey", applied=True)
    result = run(keyset="Sig")
    assert (result["changed"], result["action"]) == (True, "generated")
    assert len(graph.keys("B2C_1A_Sig")) == 1
    assert len(graph.posts_to("generateKey")) == 1


def test_a_key_added_by_another_fork_while_waiting_for_the_lock_is_seen(run, graph):
    """The first read finds no key; another fork adds one before we hold the lock; the re-read sees it: no second key."""
    graph.keysets["b2c_1a_forked"] = {"id": "B2C_1A_Forked", "keys": []}
    reads = []
    original = graph.request

    def other_fork_writes_after_first_read(method, path, **kwargs):
        answer = original(method, path, **kwargs)
        if method == "GET" and not reads:
            reads.append(path)
            graph.keysets["b2c_1a_forked"]["keys"].append(
                {
                    "kid": "from-other-fork",
                    "kty": "RSA",
                    "use": "sig",
                    "status": "enabled",
                    "nbf": graph.now,
                    "exp": graph.now + 365 * DAY,
                }
            )
        return answer

    graph.request = other_fork_writes_after_first_read
    result = run(keyset="Forked")
    assert not result["changed"] and result["action"] == "none"
    assert result["key"]["kid"] == "from-other-fork"
    assert graph.posts_to("generateKey") == []


def test_only_a_run_that_writes_takes_the_lock(run, run_module, graph, tmp_path):
    locks = tmp_path / "cache-home" / "b2c.trustframework" / "locks"
    assert run_module(b2c_keyset_key, check_mode=True, keyset="Quiet")["changed"]
    assert not locks.exists(), "check mode sends no write, so it takes no lock"
    assert run(keyset="Quiet")["changed"]
    assert len(os.listdir(locks)) == 1
    os.unlink(locks / os.listdir(locks)[0])
    assert not run(keyset="Quiet")["changed"]
    assert os.listdir(locks) == [], "a run with nothing to do takes no lock"


def test_key_expired_on_arrival_fails_and_is_not_added_again(run, run_module, graph):
    """nbf long past and no exp: the service's default expiry has passed too; the run fails, the next adds nothing."""
    nbf = graph.now - 3 * 365 * DAY  # the fake gives exp = now + 2 years only without nbf; here exp follows nbf
    graph.keysets["b2c_1a_old"] = {"id": "B2C_1A_Old", "keys": []}
    original = graph._generateKey

    def service_default_from_nbf(keyset, body):
        return original(keyset, dict(body, exp=body["nbf"] + 2 * 365 * DAY))

    graph._generateKey = service_default_from_nbf
    result = run(keyset="Old", nbf=nbf)
    assert result["failed"] and result["changed"] and result["action"] == "generated"
    assert "already passed, so it can never be used" in result["msg"] and "give exp or valid_days" in result["msg"]
    again = run(keyset="Old", nbf=nbf)
    assert again["failed"] and "the same request would add another key that can never be used" in again["msg"]
    assert len(graph.posts_to("generateKey")) == 1
    assert run_module(b2c_keyset_key, check_mode=True, keyset="Old", nbf=nbf)["failed"], "check mode refuses it too"


def test_duplicates_left_by_a_late_write_are_reported_and_nothing_is_added(run, graph):
    """A resend after a timeout, then the first request applied late: two twin keys. The next run adds nothing and says so."""
    twin = {"kty": "RSA", "use": "sig", "status": "enabled", "nbf": graph.now - 60, "exp": graph.now + 365 * DAY}
    graph.keysets["b2c_1a_late"] = {
        "id": "B2C_1A_Late",
        "keys": [dict(twin, kid="first"), dict(twin, kid="late", nbf=twin["nbf"] + 12, exp=twin["exp"] + 12)],
    }
    result = run(keyset="Late")
    assert not result["changed"] and result["action"] == "none"
    assert graph.writes() == []
    assert any(
        "holds 2 enabled keys of one kind" in warning and "first" in warning and "late" in warning
        for warning in result.get("warnings", [])
    ), result.get("warnings")


def test_keys_of_different_runs_are_not_called_duplicates(run, graph):
    older = {
        "kid": "old",
        "kty": "RSA",
        "use": "sig",
        "status": "enabled",
        "nbf": graph.now - 200 * DAY,
        "exp": graph.now + 165 * DAY,
    }
    newer = dict(older, kid="new", nbf=graph.now - DAY, exp=graph.now + 364 * DAY)
    graph.keysets["b2c_1a_two"] = {"id": "B2C_1A_Two", "keys": [older, newer]}
    result = run(keyset="Two")
    assert result["action"] == "none" and not result.get("warnings")


def seed_due_key(graph, days_left=20, **extra):
    now = int(time.time())
    key = {
        "kid": "old",
        "kty": "RSA",
        "use": "sig",
        "nbf": now - 300 * DAY,
        "exp": now + days_left * DAY,
        "status": "enabled",
    }
    graph.keysets["b2c_1a_sig"] = {"id": "B2C_1A_Sig", "keys": [key] + list(extra.get("more", []))}
    return now


STAGE = dict(keyset="Sig", renew_before_days=30, valid_days=365, activate_in_days=7)


def test_activate_in_days_stages_the_successor_and_check_mode_predicts_it(run, graph):
    now = seed_due_key(graph)
    checked = run(check_mode=True, **STAGE)
    assert (checked["changed"], checked["action"]) == (True, "generated")
    assert abs(checked["key"]["nbf"] - (now + 7 * DAY)) < 60
    assert checked["key"]["exp"] - checked["key"]["nbf"] == 365 * DAY
    assert graph.writes() == []

    staged = run(**STAGE)
    body = graph.posts_to("generateKey")[0][2]
    assert body["exp"] - body["nbf"] == 365 * DAY and abs(body["nbf"] - (now + 7 * DAY)) < 60
    assert staged["key"]["nbf"] == body["nbf"]
    assert run(**STAGE)["changed"] is False


def test_a_late_renewal_activates_when_the_old_key_expires_and_warns(run, graph):
    seed_due_key(graph, days_left=2)
    staged = run(**STAGE)
    assert staged["key"]["nbf"] == graph.keys("B2C_1A_Sig")[0]["exp"]
    assert any("sooner than activate_in_days=7" in warning for warning in staged["warnings"])


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(STAGE, renew_before_days=7), "must be larger than activate_in_days"),
        (dict(STAGE, nbf="2030-01-01T00:00:00Z"), "mutually exclusive"),
        (
            dict(keyset="Cert", source="certificate", certificate="x", activate_in_days=7),
            "does not apply to source=certificate",
        ),
    ],
)
def test_activate_in_days_refusals(run, graph, args, message):
    result = run(**args)
    assert result["failed"] and message in result["msg"]
    assert graph.writes() == []


def test_disable_expired_retires_old_keys_once(run, graph):
    now = int(time.time())
    expired = {
        "kid": "gone",
        "kty": "RSA",
        "use": "sig",
        "nbf": now - 800 * DAY,
        "exp": now - 60 * DAY,
        "status": "enabled",
    }
    seed_due_key(graph, days_left=200, more=[expired])
    checked = run(keyset="Sig", disable_expired=True, check_mode=True, diff=True)
    assert (checked["changed"], checked["action"]) == (True, "none")
    assert [key["kid"] for key in checked["disabled_keys"]] == ["gone"]
    assert checked["diff"]["after"]["key_list"][1]["status"] == "disabled"
    assert graph.writes() == []

    applied = run(keyset="Sig", disable_expired=True)
    assert applied["changed"] and [key["status"] for key in applied["disabled_keys"]] == ["disabled"]
    assert [call[1] for call in graph.writes()] == ["/trustFramework/keySets/B2C_1A_Sig/keys_v2/gone"]
    assert run(keyset="Sig", disable_expired=True)["changed"] is False
