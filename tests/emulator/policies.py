"""Microsoft Graph beta `trustFramework/policies` routes: IEF custom policies (TrustFrameworkPolicy XML).

Endpoints and statuses: the Graph beta pages trustframework-list-trustframeworkpolicies.md,
trustframeworkpolicy-get.md, trustframework-post-trustframeworkpolicy.md, trustframework-put-trustframeworkpolicy.md
and trustframeworkpolicy-delete.md (microsoftgraph/microsoft-graph-docs-contrib). What a tenant answers beyond
them comes from the clients and issues named next to each rule; where nobody has shown the answer, the
emulator picks the strictest plausible one and says "inferred".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import GraphError
from .graph import POLICY_ROLES, authorize, base_url, list_page, services, tenant
from .keys import active_key
from .policy_xml import NotXml, PolicyDocument, decode_body, parse, placeholder_in, reformat

BASE = "/beta/trustFramework/policies"
PREFIX = "B2C_1A_"
# Service limits (MicrosoftDocs/azure-docs articles/active-directory-b2c/service-limits.md, 2024 revision).
MAX_POLICY_BYTES = 1024 * 1024
MAX_POLICIES = 200  # per tenant, user flows included
MAX_DEPTH = 10  # inheritance depth, the policy itself counted
# Validation failures carry the bare code "AADB2C" (inferred from the issue texts, which show only the
# message; HTTP 400 is assumed, never shown).
VALIDATION_CODE = "AADB2C"


class PolicyOutput:
    """Whether GET $value hands back the stored text or a reformatted copy; reset returns to the start-up choice."""

    def __init__(self, reformat_policies: bool):
        self.at_start = reformat_policies
        self.reformat = reformat_policies

    def reset(self) -> None:
        self.reformat = self.at_start


def _authorize(request: Request, write: bool) -> None:
    authorize(request, write=write, roles=POLICY_ROLES)


def missing_policy(request: Request, policy_id: str) -> GraphError:
    """GET/DELETE of a policy the tenant does not have. Inferred (no client shows it): the B2C generic
    "{0} with '{1}': '{2}' cannot be found" code AADB2C90073 (error-codes.md, 2019) with HTTP 400, as real
    tenants answer a missing keyset, so a client that only knows 404 fails here."""
    return GraphError(400, "AADB2C90073", _not_found_message(request, policy_id))


def _not_found_message(request: Request, policy_id: str) -> str:
    # Wording of Azure-Samples/active-directory-b2c-custom-policy-starterpack #113 and #105 (a missing base policy).
    return f"Policy with 'policyId': {policy_id} cannot be found in the directory '{services(request).settings.tenant_guid}'."


def _find(request: Request) -> dict:
    policy_id = request.path_params["policy_id"]
    policy = services(request).store.find_policy(policy_id)
    if policy is None:
        raise missing_policy(request, policy_id)
    return policy


# -- routes -------------------------------------------------------------------------------------------


async def list_policies(request: Request) -> JSONResponse:
    """Ids only (the list page's sample); paged like keysets (the page does not say; clients must follow nextLink)."""
    _authorize(request, write=False)
    policies = services(request).store.policies()
    return JSONResponse(list_page(request, policies, BASE, lambda policy: {"id": policy["id"]}))


async def get_policy(request: Request) -> JSONResponse:
    _authorize(request, write=False)
    policy = _find(request)
    return JSONResponse(
        {"@odata.context": f"{base_url(request)}/beta/$metadata#trustFramework/policies/$entity", "id": policy["id"]}
    )


async def get_policy_content(request: Request) -> Response:
    _authorize(request, write=False)
    text = _find(request)["xml"]
    if services(request).policy_output.reformat:
        text = reformat(text)
    return Response(text.encode("utf-8"), media_type="application/xml")


async def put_policy_content(request: Request) -> Response:
    """Create or replace: 201 when new, 200 when it existed (trustframework-put-trustframeworkpolicy.md).
    The body is not echoed; a client must never derive "changed" from the status (azure-ad-b2c/vscode-extension
    PolicyUpload.ts saw 201 on updates)."""
    _authorize(request, write=True)
    text, document = await _validated_upload(request, url_id=request.path_params["policy_id"])
    created = services(request).store.put_policy(document.policy_id, text)
    return Response(status_code=201 if created else 200)


async def put_policy_entity(request: Request) -> Response:
    """PUT without /$value: AADB2C99009 (B2C error-code reference, 2019 revision)."""
    _authorize(request, write=True)
    raise GraphError(
        400,
        "AADB2C99009",
        "Put operation not supported for this entity on this uri. "
        "Please append '$value' to the request uri and send the request again.",
    )


async def create_policy(request: Request) -> Response:
    """POST: 201 + Location; an existing id is refused, "already has a policy with id"
    (MicrosoftDocs/azure-docs articles/active-directory-b2c/troubleshoot.md); its code and status are inferred."""
    _authorize(request, write=True)
    text, document = await _validated_upload(request, url_id=None)
    svc = services(request)
    if svc.store.find_policy(document.policy_id) is not None:
        raise GraphError(
            400,
            VALIDATION_CODE,
            f"Tenant '{tenant(request)}' already has a policy with id "
            f"'{document.policy_id}'. Another policy with the same id cannot be stored.",
        )
    svc.store.put_policy(document.policy_id, text)
    return Response(
        text.encode("utf-8"),
        status_code=201,
        media_type="application/xml",
        headers={"Location": f"/trustFramework/policies('{document.policy_id}')"},
    )


async def delete_policy(request: Request) -> Response:
    _authorize(request, write=True)
    services(request).store.delete_policy(_find(request))
    return Response(status_code=204)


# -- upload validation ----------------------------------------------------------------------------------


async def _validated_upload(request: Request, url_id: str | None) -> tuple[str, PolicyDocument]:
    """The policy text to store and what it says, or the service's refusal."""
    body = await request.body()
    text = decode_body(body)
    try:
        document = parse(text)
    except NotXml as exc:
        # A JSON (or any non-XML) body: msgraph-sdk-powershell #1188, msgraph-beta-sdk-dotnet #734.
        raise GraphError(
            400, VALIDATION_CODE, f"The policy being uploaded is not XML or is not correctly formatted: {exc}"
        ) from exc
    _refuse_foreign_tenant(request, document)
    errors = _validation_errors(request, document, url_id, len(body))
    if errors:
        named = document.policy_id or url_id or ""
        # One message, the errors concatenated without separator (custom-policy-starterpack #113, #57;
        # MicrosoftDocs/azure-docs #20564 shows the policy id upper-cased in the header).
        raise GraphError(
            400,
            VALIDATION_CODE,
            f'Validation failed: {len(errors)} validation error(s) found in policy "{named.upper()}" '
            f'of tenant "{tenant(request)}".' + "".join(errors),
        )
    return text, document


def _refuse_foreign_tenant(request: Request, document: PolicyDocument) -> None:
    """TenantId (the policy's or its BasePolicy's) must be the login tenant: AADB2C95044 (error-codes.md, 2019;
    MicrosoftDocs/azure-docs #30477). A placeholder left in is not a tenant at all (azure-ad-b2c/vscode-extension #88)."""
    settings = services(request).settings
    for value in (document.tenant_id, document.base_tenant_id):
        if value is None:
            continue
        placeholder = placeholder_in(value)
        if placeholder:
            raise GraphError(
                400, VALIDATION_CODE, f"{placeholder.lower()} is neither a valid DNS name, nor a valid external domain."
            )
        if not settings.is_our_tenant(value.strip()):
            raise GraphError(400, "AADB2C95044", "TenantId passed as part of object is different from login tenant.")


def _validation_errors(request: Request, document: PolicyDocument, url_id: str | None, size: int) -> list[str]:
    errors = []
    if size > MAX_POLICY_BYTES:
        # Limit: service-limits.md. The service's wording is not known (inferred).
        errors.append(f"The policy file is {size} bytes, over the limit of {MAX_POLICY_BYTES} bytes (1024 KB).")
    if not document.is_trust_framework_policy:
        # Inferred wording: the service validates against its schema, whose root is TrustFrameworkPolicy.
        errors.append(
            f"The root element '{document.root_tag}' is not a TrustFrameworkPolicy of the namespace "
            f"'http://schemas.microsoft.com/online/cpim/schemas/2013/06'."
        )
        return errors
    errors += _id_errors(request, document, url_id)
    if errors:
        return errors
    return _tenant_errors(request, document)


def _id_errors(request: Request, document: PolicyDocument, url_id: str | None) -> list[str]:
    policy_id = document.policy_id
    if not policy_id:
        return ["The policy has no PolicyId attribute."]  # the schema requires it; wording inferred
    errors = [] if document.tenant_id else ["The policy has no TenantId attribute."]  # likewise
    if not policy_id.upper().startswith(PREFIX):
        # MicrosoftDocs/azure-docs #5303.
        errors.append(
            f"Policy '{policy_id}' of tenant '{tenant(request)}' is not allowed: basic policy constraint "
            f"handler 'B2CBasicPoliciesOnly' cannot match the policy id to a prefix."
        )
    if url_id is not None and url_id.lower() != policy_id.lower():
        # No evidence of the answer; ids compare case-insensitively (go-ieftool lower-cases the URL id and its
        # uploads work), any other mismatch is refused (inferred).
        errors.append(
            f"The policy id '{policy_id}' in the document does not match the id '{url_id}' in the request URI."
        )
    return errors


def _tenant_errors(request: Request, document: PolicyDocument) -> list[str]:
    """What the policy needs from the tenant: room, its base chain (depth), and every keyset it or an ancestor uses."""
    svc = services(request)
    errors = []
    existing = svc.store.find_policy(document.policy_id)
    if existing is None and len(svc.store.policies()) >= MAX_POLICIES:
        errors.append(
            f"The tenant '{tenant(request)}' already has {MAX_POLICIES} policies, the most it can hold."
        )  # limit: service-limits.md; wording inferred
    chain, chain_error = _ancestors(request, document)
    if chain_error:
        errors.append(chain_error)
    references = {}
    for member in [document, *chain]:
        for reference in member.storage_reference_ids:
            references.setdefault(reference.lower(), reference)
    for reference in references.values():
        errors += _keyset_errors(request, reference)
    return errors


def _keyset_errors(request: Request, reference: str) -> list[str]:
    svc = services(request)
    keyset = svc.store.find(reference)
    if keyset is None or svc.lag.is_hidden(reference):
        # MicrosoftDocs/azure-docs #20564, #27602; mrochon/IEFPolicies #10, #34. A keyset another replica does not
        # know yet is missing too (IEFPolicies waits 30 s after creating keysets).
        return [
            f'Tenant "{tenant(request)}" does not have CryptographicKey referenced by storageReferenceId "{reference}".'
        ]
    if active_key(keyset["keys"], now=svc.clock.now()) is None:
        # Inferred: nothing shows whether upload passes a keyset without a usable key; at run time the service
        # fails with AADB2C90019 (B2C error-code reference), whose words are used here, the strict choice.
        reason = "the key container holds no key" if not keyset["keys"] else "no key is enabled and within its nbf/exp"
        return [
            f"The key container with ID '{keyset['id']}' in tenant '{tenant(request)}' does not have a valid key. "
            f"Reason: {reason}."
        ]
    return []


def _ancestors(request: Request, document: PolicyDocument) -> tuple[list[PolicyDocument], str | None]:
    """The base chain in the tenant (nearest first), and what is wrong with it: a base that is missing, a chain
    deeper than MAX_DEPTH (service-limits.md; wording inferred) or a cycle (inferred)."""
    store = services(request).store
    chain: list[PolicyDocument] = []
    seen = {document.policy_id.lower()}
    current = document
    while current.base_policy_id:
        base_id = current.base_policy_id
        if base_id.lower() in seen:
            return chain, f"The policy '{document.policy_id}' inherits from itself through '{base_id}'."
        stored = store.find_policy(base_id)
        if stored is None:
            # Azure-Samples/active-directory-b2c-custom-policy-starterpack #113, #105 (code AADB2C90073 inferred).
            return chain, _not_found_message(request, base_id)
        seen.add(base_id.lower())
        current = parse(stored["xml"])
        chain.append(current)
        if len(chain) + 1 > MAX_DEPTH:
            return chain, (
                f"The policy '{document.policy_id}' has an inheritance depth over {MAX_DEPTH} "
                f"(its base chain goes through '{base_id}')."
            )
    return chain, None


ROUTES = [
    Route(BASE, list_policies, methods=["GET"]),
    Route(BASE, create_policy, methods=["POST"]),
    Route(BASE + "/{policy_id}", get_policy, methods=["GET"]),
    Route(BASE + "/{policy_id}", put_policy_entity, methods=["PUT"]),
    Route(BASE + "/{policy_id}", delete_policy, methods=["DELETE"]),
    Route(BASE + "/{policy_id}/$value", get_policy_content, methods=["GET"]),
    Route(BASE + "/{policy_id}/$value", put_policy_content, methods=["PUT"]),
]
