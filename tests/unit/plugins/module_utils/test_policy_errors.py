"""Policy errors: the service's validation message split into its errors, missing and transient answers, hints."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils import policy_errors as pe
from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError

# Real messages, as users reported them (tenant names as they masked them).
STARTERPACK_113 = (
    'Validation failed: 1 validation error(s) found in policy "B2C_1A_TRUSTFRAMEWORKEXTENSIONS_TOU_SUSI" of tenant '
    "\"xxx.onmicrosoft.com\".Policy with 'policyId': B2C_1A_TRUSTFRAMEWORKEXTENSIONS cannot be found in the directory "
    "'xxx-6362-4338-9241-xxx'.Policy with 'policyId': B2C_1A_TRUSTFRAMEWORKEXTENSIONS cannot be found in the "
    "directory 'xxx-6362-4338-9241-xxx'."
)
STARTERPACK_57 = (
    'Validation failed: 1 validation error(s) found in policy "B2C_1A_SIGNUP_SIGNIN" of tenant '
    '"tenantName.onmicrosoft.com".TechnicalProfile "login-NonInteractive" in policy "B2C_1A_signup_signin" of tenant '
    '"tenantName.onmicrosoft.com" defines an invalid value "" for the metadata item "client_id."'
)
SAMPLES_618 = (
    'Validation failed: 1 validation error(s) found in policy "B2C_1A_FORCEPASSWORDRESET90_SIGNUP_SIGNIN" of tenant '
    '"t.onmicrosoft.com".Schema validation error found at line 10 col 38 in policy '
    '"B2C_1A_FORCEPASSWORDRESET90_SIGNUP_SIGNIN" of tenant "t.onmicrosoft.com": The element cannot contain white '
    "space. Content model is emptySchema validation error found at line 10 col 38 in policy "
    '"B2C_1A_FORCEPASSWORDRESET90_SIGNUP_SIGNIN" of tenant "t.onmicrosoft.com": The element cannot contain white '
    "space. Content model is empty."
)
CLAIM_ERRORS = (  # azure-docs #30477: three errors, each told once
    'Validation failed: 3 validation error(s) found in policy "B2C_1A_SIGNUP_SIGNIN" of tenant "t.onmicrosoft.com".'
    'Claim type "alternativeSecurityId" is the input claim of technical profile "AAD-UserReadUsingAlternativeSecurityId-NoError" '
    'in step "3" of user journey "SignUpOrSignIn" but it is not an output claim in any of the previous steps.'
    'Claim type "alternativeSecurityId" is the input claim of technical profile "AAD-UserWriteUsingAlternativeSecurityId" '
    'in step "6" of user journey "SignUpOrSignIn" but it is not an output claim in any of the previous steps.'
    'Tenant "t.onmicrosoft.com" does not have CryptographicKey referenced by storageReferenceId "B2C_1A_FacebookSecret".'
)
JOURNEY_TWICE = (  # active-directory-verifiable-credentials #62: two errors, each told twice, sentences inside
    'Validation failed: 2 validation error(s) found in policy "B2C_1A_VC_SUSIQ" of tenant "t.onmicrosoft.com".'
    + (
        'User journey "SignUpOrSignIn" in policy "B2C_1A_VC_susiq" of tenant "t.onmicrosoft.com" has step 7 with 2 claims '
        "exchanges. It must be preceded by a claims provider selection in order to determine which claims exchange can be used."
        'User journey "SignUpOrSignIn" in policy "B2C_1A_VC_susiq" of tenant "t.onmicrosoft.com" has step 8 with 2 claims '
        "exchanges. It must be preceded by a claims provider selection in order to determine which claims exchange can be used."
    )
    * 2
)


def test_one_error_told_twice_is_one_item():
    assert pe.split_validation_errors(STARTERPACK_113) == [
        "Policy with 'policyId': B2C_1A_TRUSTFRAMEWORKEXTENSIONS cannot be found in the directory 'xxx-6362-4338-9241-xxx'."
    ]


def test_one_error_with_dotted_names_and_a_quoted_period_stays_whole():
    assert pe.split_validation_errors(STARTERPACK_57) == [STARTERPACK_57.split('onmicrosoft.com".', 1)[1]]


def test_an_error_glued_without_its_period_is_found_by_its_start():
    items = pe.split_validation_errors(SAMPLES_618)
    assert len(items) == 1 and items[0].startswith("Schema validation error found at line 10 col 38")
    assert items[0].endswith("Content model is empty.")


def test_several_errors_become_one_item_each():
    items = pe.split_validation_errors(CLAIM_ERRORS)
    assert len(items) == 3
    assert items[0].startswith('Claim type "alternativeSecurityId"') and 'step "3"' in items[0]
    assert 'step "6"' in items[1]
    assert (
        items[2]
        == 'Tenant "t.onmicrosoft.com" does not have CryptographicKey referenced by storageReferenceId "B2C_1A_FacebookSecret".'
    )


def test_sentences_inside_an_error_do_not_split_it_and_repeats_go():
    items = pe.split_validation_errors(JOURNEY_TWICE)
    assert len(items) == 2
    assert "step 7" in items[0] and "It must be preceded" in items[0] and "step 8" in items[1]


def test_a_count_of_one_keeps_a_split_it_cannot_trust_whole():
    message = (
        'Validation failed: 1 validation error(s) found in policy "B2C_1A_X" of tenant "t".'
        "Something odd.Happens here and there."
    )
    assert pe.split_validation_errors(message) == ["Something odd.Happens here and there."]


@pytest.mark.parametrize(
    "message",
    [
        None,
        "",
        "Policy with 'policyId': B2C_1A_X cannot be found",
        'Validation failed: 1 validation error(s) found in policy "B2C_1A_X" of tenant "t".',
    ],
)
def test_other_messages_have_no_validation_errors(message):
    assert pe.split_validation_errors(message) == []


def refused(message, status=400, code="AADB2C", full=True):
    error = GraphError(status=status, code=code, graph_message=message, method="PUT", path="/p")
    if full:
        error.service_message = message
    return error


def test_validation_failure_reads_the_whole_message_not_the_cut_one():
    error = refused(JOURNEY_TWICE)
    assert len(error.graph_message) <= 300
    failure = pe.validation_failure(error)
    assert len(failure[0]) == 2 and failure[1] == JOURNEY_TWICE
    assert pe.validation_failure(refused("Forbidden", status=403)) is None
    assert pe.validation_failure(ValueError("x")) is None


@pytest.mark.parametrize(
    "status, code, message, missing",
    [
        (400, "AADB2C90073", "Policy with 'policyId': B2C_1A_X cannot be found in the directory 't'", True),
        (400, "AADB2C", "Policy with 'policyId': B2C_1A_X cannot be found in the directory 't'", True),
        (404, "ResourceNotFound", "", True),
        (400, "AADB2C99009", "Bad request", False),
        (403, "Authorization_RequestDenied", "cannot be found", False),
        (500, "AADB2C90073", "cannot be found", False),
    ],
)
def test_policy_missing(status, code, message, missing):
    assert pe.policy_missing(refused(message, status, code)) is missing


@pytest.mark.parametrize(
    "status, code, message, transient",
    [
        (
            400,
            "AADB2C",
            'Validation failed: 1 validation error(s) found in policy "B2C_1A_COMMON_BASE" of tenant "t".'
            "Object reference not set to an instance of an object.62414603-5c62-440b-b772-a1792624c012AADB2C",
            True,
        ),
        (500, "UnknownError", "", True),
        (500, "UnknownError", "The policy is broken", False),
        (400, "AADB2C", STARTERPACK_113, False),
    ],
)
def test_transient_failures(status, code, message, transient):
    assert pe.is_transient(refused(message, status, code, full=bool(message))) is transient
    assert pe.is_transient(GraphError(reason="timeout", transport="timeout")) is False


def test_hints():
    denied = refused("Insufficient privileges", 403, "Authorization_RequestDenied")
    assert "Policy.ReadWrite.TrustFramework" in pe.policy_hint(denied, "upload")
    assert "Policy.ReadWrite.TrustFramework" in pe.policy_hint(denied, "delete")
    assert "Policy.Read.All" in pe.policy_hint(denied, "read")
    assert "deploy the base policy first" in pe.policy_hint(refused(STARTERPACK_113), "upload")
    assert pe.policy_hint(refused(STARTERPACK_113, 400, "AADB2C90073"), "delete") is None
    assert "b2c.trustframework.b2c_keyset_key or the b2c.trustframework.policy_keys role" in pe.policy_hint(
        refused(CLAIM_ERRORS), "upload"
    )
    assert "render the policy for this tenant" in pe.policy_hint(refused("TenantId mismatch", code="AADB2C95044"))
    assert pe.policy_hint(refused("other", 400, "AADB2C")) is None
    assert pe.policy_hint(ValueError("x")) is None
