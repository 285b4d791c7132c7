"""The claims the docs make about versions and auth methods match the files that define them."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.b2c.trustframework.plugins.module_utils.argspec import CONNECTION_OPTIONS
from ansible_collections.b2c.trustframework.plugins.module_utils.credentials import AUTH_PRECEDENCE
from tools.test_matrix import claimed_minors, runtime_floors

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDES = os.path.join(REPO_ROOT, "docs", "docsite", "rst")


def read(*parts):
    with open(os.path.join(REPO_ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def requires_ansible():
    return yaml.safe_load(read("meta", "runtime.yml"))["requires_ansible"]


def test_every_runtime_requirement_has_a_floor_the_readme_names():
    floors = runtime_floors()
    assert set(floors) == {"httpx", "msal", "cryptography", "defusedxml"}
    requirements = read("README.md").split("\n## Requirements\n", 1)[1].split("\n## ", 1)[0]
    for name, floor in floors.items():
        assert "`%s >= %s`" % (name, floor) in requirements, name


def test_the_readme_and_the_guides_pin_ansible_core_to_the_claim():
    minors = claimed_minors()
    pin = '"ansible-core>=%s,<2.%d"' % (minors[0], int(minors[-1].split(".")[1]) + 1)
    readme = read("README.md")
    assert '`requires_ansible: "%s"`' % requires_ansible() in readme
    assert pin in readme
    installs = re.findall(r"pip install (\S*ansible-core\S*)", read("docs", "docsite", "rst", "guide_ci.rst"))
    assert installs and set(installs) == {pin}


def _guide_auth_methods():
    guide = read("docs", "docsite", "rst", "guide_authentication.rst")
    table = guide.split("\nCredentials\n", 1)[1].split(".. list-table::", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^  \* - ``(\w+)``$", table, re.MULTILINE)


def _readme_auth_methods():
    section = read("README.md").split("\n## Authentication\n", 1)[1]
    table = section.split("| method (`auth_method`)", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)


def test_the_guide_and_the_readme_list_every_auth_method_in_the_order_auto_tries_them():
    assert set(AUTH_PRECEDENCE) == set(CONNECTION_OPTIONS["auth_method"]["choices"]) - {"auto"}
    assert _guide_auth_methods() == list(AUTH_PRECEDENCE)
    assert _readme_auth_methods() == list(AUTH_PRECEDENCE)
