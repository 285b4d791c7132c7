# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a policy rendered for the task's tenant? Its TenantIds, and placeholders left in it.

The service refuses a TenantId of another tenant (AADB2C95044, error-codes.md;
azure-docs #30477) and a placeholder left in ("settings:tenant is neither a
valid DNS name", vscode-extension #88); both are refused here, before any
request, naming the element or the line.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.policy_xml import line_of

# The starter pack's tenant placeholder, and the VS Code extension's {Settings:Name}.
STARTER_PACK_TENANT = "yourtenant.onmicrosoft.com"
_SETTINGS_PLACEHOLDER = re.compile(r"\{Settings:[^}]*\}", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_GUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.IGNORECASE)


def is_tenant_domain(tenant):
    """True when ``tenant`` names the tenant by domain (not a GUID, not empty)."""
    return bool(tenant) and not _GUID.match(str(tenant).strip())


def check_for_tenant(document, tenant, where="content"):
    """Refuse the TenantIds of another tenant and unresolved placeholders (``tenant``: the task's tenant_id)."""
    _refuse_placeholders(document.text, tenant, where)
    if not is_tenant_domain(tenant):
        return  # a GUID cannot be compared with a domain name without a request
    wanted = str(tenant).strip().lower()
    named = [("TrustFrameworkPolicy/@TenantId", document.tenant_id)]
    if document.base_policy is not None:
        named.append(("BasePolicy/TenantId", document.base_policy.tenant_id))
    for element, value in named:
        if value and value.lower() != wanted:
            raise ValidationError(
                "%s: %s is %r, but the task's tenant is %r: render the policy for this tenant"
                % (where, element, value, str(tenant).strip())
            )


def _refuse_placeholders(text, tenant, where):
    searchable = _COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)
    found = [(line_of(text, match.start()), match.group(0)) for match in _SETTINGS_PLACEHOLDER.finditer(searchable)]
    if str(tenant or "").strip().lower() != STARTER_PACK_TENANT:
        starter = re.finditer(re.escape(STARTER_PACK_TENANT), searchable, re.IGNORECASE)
        found.extend((line_of(text, match.start()), match.group(0)) for match in starter)
    if found:
        line, placeholder = min(found)
        raise ValidationError(
            "%s: line %d: unresolved placeholder %s (%d in all): render the policy with the tenant's values first "
            "(e.g. content: \"{{ lookup('ansible.builtin.template', 'TrustFrameworkBase.xml') }}\")"
            % (where, line, placeholder, len(found))
        )
