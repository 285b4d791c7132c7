"""Policy tenant checks: TenantIds of another tenant and unresolved placeholders, refused naming the element or line."""

from __future__ import annotations

import pytest

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_tenant import check_for_tenant
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import parse_policy
from tests.support.policies import TENANT, policy

GUID_TENANT = "7c9d5e64-0f8a-4f39-9a83-2f4e0d6e1b11"


def refusal(text, tenant=TENANT):
    with pytest.raises(ValidationError) as err:
        check_for_tenant(parse_policy(text), tenant)
    return str(err.value)


def test_tenant_ids_must_be_the_task_tenant_when_it_is_a_domain():
    check_for_tenant(parse_policy(policy()), "Contoso.OnMicrosoft.com")
    assert "TrustFrameworkPolicy/@TenantId is 'fabrikam.onmicrosoft.com'" in refusal(
        policy(tenant="fabrikam.onmicrosoft.com")
    )
    assert (
        "BasePolicy/TenantId is 'fabrikam.onmicrosoft.com', but the task's tenant is 'contoso.onmicrosoft.com'"
        in refusal(policy(base_tenant="fabrikam.onmicrosoft.com"))
    )
    # A GUID cannot be compared with a domain name without asking the service.
    document = parse_policy(policy(tenant="fabrikam.onmicrosoft.com"))
    check_for_tenant(document, GUID_TENANT)
    check_for_tenant(document, None)


def test_unresolved_placeholders_are_refused_naming_the_line():
    starter = policy(tenant="yourtenant.onmicrosoft.com")
    message = refusal(starter, tenant=GUID_TENANT)
    assert "line 4: unresolved placeholder yourtenant.onmicrosoft.com (3 in all)" in message
    check_for_tenant(parse_policy(starter), "YourTenant.onmicrosoft.com")
    settings = policy(display_name="{Settings:AppName}")
    assert "line 13: unresolved placeholder {Settings:AppName} (1 in all)" in refusal(settings)
    in_a_comment = policy(body="  <!-- {Settings:Tenant} yourtenant.onmicrosoft.com -->\n")
    check_for_tenant(parse_policy(in_a_comment), TENANT)
