"""Sample TrustFrameworkPolicy texts for the policy tests (unit and integration)."""

TENANT = "contoso.onmicrosoft.com"
NAMESPACE = "http://schemas.microsoft.com/online/cpim/schemas/2013/06"


def policy(
    policy_id="B2C_1A_TrustFrameworkExtensions",
    tenant=TENANT,
    base="B2C_1A_TrustFrameworkBase",
    base_tenant=None,
    keysets=("B2C_1A_TokenSigningKeyContainer",),
    body="",
    declaration=True,
    display_name="Sign in",
):
    """A small but realistic policy: declaration, comments, indentation, a BasePolicy and CryptographicKeys."""
    head = '<?xml version="1.0" encoding="utf-8" ?>\n' if declaration else ""
    base_xml = ""
    if base:
        base_xml = "  <BasePolicy>\n    <TenantId>%s</TenantId>\n    <PolicyId>%s</PolicyId>\n  </BasePolicy>\n" % (
            base_tenant or tenant,
            base,
        )
    keys = "".join('          <Key Id="k%d" StorageReferenceId="%s" />\n' % (i, name) for i, name in enumerate(keysets))
    return (
        head + '<TrustFrameworkPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="%s"\n'
        '  PolicySchemaVersion="0.3.0.0" TenantId="%s" PolicyId="%s"\n'
        '  PublicPolicyUri="http://%s/%s">\n'
        % (NAMESPACE, tenant, policy_id, tenant, policy_id)
        + "  <!-- the extension of the starter pack -->\n"
        + base_xml
        + "  <ClaimsProviders>\n    <ClaimsProvider>\n      <DisplayName>%s</DisplayName>\n" % display_name
        + '      <TechnicalProfiles>\n        <TechnicalProfile Id="JwtIssuer">\n'
        + "          <InputClaims />\n"
        + "        <CryptographicKeys>\n"
        + keys
        + "        </CryptographicKeys>\n"
        + "        </TechnicalProfile>\n      </TechnicalProfiles>\n    </ClaimsProvider>\n  </ClaimsProviders>\n"
        + body
        + "</TrustFrameworkPolicy>\n"
    )


def reformatted(text):
    """What a service that re-serializes its copy might answer: no declaration, no comments, other
    indentation, other attribute order and namespace prefix (the emulator's reformat switch does the same)."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("cpim", NAMESPACE)
    root = ET.fromstring(text)
    items = list(root.attrib.items())
    root.attrib.clear()
    root.attrib.update(reversed(items))
    ET.indent(root, space="\t")
    return ET.tostring(root, encoding="unicode")
