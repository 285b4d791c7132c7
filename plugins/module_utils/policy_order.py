# -*- coding: utf-8 -*-
# Copyright: b2c.trustframework contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BasePolicy graph of a policy set: its refusals, the upload order, the delete order.

The service enforces the order (base, then extensions, then relying parties,
following each file's BasePolicy: deploy-custom-policies-devops.md) and its
limits: inheritance depth 10 and 200 policies per tenant (service-limits.md).
Everything here is pure; the tenant's facts (its policy ids, the BasePolicy of
the policies read from it) are passed in.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from dataclasses import dataclass

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import ValidationError
from ansible_collections.b2c.trustframework.plugins.module_utils.keyset_names import strip_prefix

# service-limits.md (2024): the depth counts the policy itself.
MAX_DEPTH = 10
MAX_POLICIES = 200


def policy_key(policy_id):
    """Policy ids compare case-insensitively, with or without the B2C_1A_ prefix."""
    return strip_prefix(str(policy_id or "")).lower()


@dataclass(frozen=True)
class Member:
    """A policy of the set: its id, the id of its BasePolicy (None for a base) and where it came from."""

    policy_id: str
    base_id: str | None
    where: str


def _by_id(policy_id):
    return policy_key(policy_id), str(policy_id)


class PolicySet:
    """The set's BasePolicy graph. Built only from a set without duplicate ids or cycles (refused here)."""

    def __init__(self, members):
        self.members = sorted(members, key=lambda member: _by_id(member.policy_id))
        self._by_key = _refuse_duplicates(self.members)
        self._levels = {}
        for member in self.members:
            self._level(member, ())
        self.upload_order = sorted(self.members, key=lambda member: (self.level(member), _by_id(member.policy_id)))
        # Children first; ties by id here too, so the order reads the same every run.
        self.delete_order = sorted(self.members, key=lambda member: (-self.level(member), _by_id(member.policy_id)))

    def level(self, member):
        """How many of the member's ancestors are in the set (0 for a base or a policy whose base is in the tenant)."""
        return self._levels[policy_key(member.policy_id)]

    def get(self, policy_id):
        return self._by_key.get(policy_key(policy_id))

    def __contains__(self, policy_id):
        return policy_key(policy_id) in self._by_key

    def base_in_set(self, member):
        return self.get(member.base_id) if member.base_id else None

    def _level(self, member, path):
        """How many of the member's ancestors are in the set; refuses a loop."""
        key = policy_key(member.policy_id)
        if key in self._levels:
            return self._levels[key]
        if key in path:
            loop = [self._by_key[step] for step in path[path.index(key) :]] + [member]
            raise ValidationError(
                "the BasePolicy chain loops: %s; a policy cannot inherit from itself or its "
                "descendants" % " -> ".join(_named(step) for step in loop)
            )
        base = self.base_in_set(member)
        level = 0 if base is None else self._level(base, path + (key,)) + 1
        self._levels[key] = level
        return level

    def ancestors(self, member):
        """The member's ancestors in the set, nearest first."""
        found = []
        base = self.base_in_set(member)
        while base is not None:
            found.append(base)
            base = self.base_in_set(base)
        return found

    def outside_bases(self):
        """The BasePolicy ids that are not in the set, each once, by id: the tenant must have them."""
        bases = {}
        for member in self.members:
            if member.base_id and member.base_id not in self:
                bases.setdefault(policy_key(member.base_id), member.base_id)
        return [bases[key] for key in sorted(bases)]

    # -- against the tenant --------------------------------------------------------------------------

    def refuse_for_tenant(self, tenant_ids, tenant_bases):
        """Refuse, before any write, a base found neither in the set nor in the tenant, a chain deeper than 10
        and more than 200 policies in the tenant after the run.

        ``tenant_ids``: the tenant's policy ids. ``tenant_bases``: policy id -> its BasePolicy id (None for a
        base) for the tenant policies whose XML was read; the depth counts the ancestors in the tenant as far
        as that mapping goes (a tenant policy that was not read counts as a base).
        """
        in_tenant = set(policy_key(policy_id) for policy_id in tenant_ids)
        missing = [
            member
            for member in self.members
            if member.base_id and member.base_id not in self and policy_key(member.base_id) not in in_tenant
        ]
        if missing:
            raise ValidationError(
                "; ".join(
                    "%s inherits from %s, which is neither in the set nor in the tenant"
                    % (_named(member), member.base_id)
                    for member in missing
                )
                + ": add the base policy to the set or deploy it first"
            )
        self.refuse_depth(tenant_bases)
        others = in_tenant - set(self._by_key)
        if len(self.members) + len(others) > MAX_POLICIES:
            raise ValidationError(
                "the set has %d policies and the tenant %d others: %d is more than the service's limit of %d "
                "policies per tenant (user flows count too); delete policies the tenant no longer uses first"
                % (len(self.members), len(others), len(self.members) + len(others), MAX_POLICIES)
            )

    def refuse_depth(self, tenant_bases):
        """Refuse a chain deeper than 10; ``tenant_bases`` as for :meth:`refuse_for_tenant` (empty: the set alone)."""
        for member in self.upload_order:
            chain = self.chain(member, tenant_bases)
            if len(chain) > MAX_DEPTH:
                raise ValidationError(
                    "the inheritance chain of %s is %d policies deep: %s; the service allows %d, the policy counted"
                    % (_named(member), len(chain), " -> ".join(chain), MAX_DEPTH)
                )

    def chain(self, member, tenant_bases):
        """The member and its ancestors, nearest first: the set's, then the tenant's (marked "in the tenant")."""
        tenant_bases = dict((policy_key(policy_id), base) for policy_id, base in tenant_bases.items())
        chain = [member.policy_id] + [base.policy_id for base in self.ancestors(member)]
        top = self.get(chain[-1])
        outside, seen = top.base_id, set(policy_key(step) for step in chain)
        while outside and policy_key(outside) not in seen:
            chain.append("%s (in the tenant)" % outside)
            seen.add(policy_key(outside))
            outside = tenant_bases.get(policy_key(outside))
        return chain

    def tenant_children(self, tenant_bases):
        """Tenant policies outside the set whose BasePolicy is in the set: deleting the set would orphan them.

        ``tenant_bases``: policy id -> BasePolicy id for the tenant's policies (every one of them must have
        been read, which costs one request per policy).
        """
        children = {}
        for policy_id, base_id in sorted(tenant_bases.items(), key=lambda item: _by_id(item[0])):
            if base_id and policy_id not in self and base_id in self:
                children.setdefault(policy_key(base_id), []).append(policy_id)
        return children

    def refuse_orphans(self, tenant_bases):
        """Refuse ``state: absent`` when a policy of the set still has children in the tenant outside the set."""
        children = self.tenant_children(tenant_bases)
        if children:
            raise ValidationError(
                "; ".join(
                    "%s still has children in the tenant outside the set: %s"
                    % (_named(self._by_key[key]), ", ".join(ids))
                    for key, ids in sorted(children.items())
                )
                + ": delete them first or add them to the set"
            )

    # -- what to upload -------------------------------------------------------------------------------

    def upload_reasons(self, own_reasons, upload_descendants=True):
        """Why each member is uploaded, in upload order: ``[(member, reason)]``.

        ``own_reasons``: policy key -> the member's own reason (content, forced or none). With
        ``upload_descendants``, a member whose ancestor in the set is uploaded is uploaded after it with
        reason ``ancestor``: the service validates a policy with its ancestors, and relying parties get their
        extra checks only when they are uploaded themselves (troubleshoot.md; IEFPolicies #5).
        """
        reasons = {}
        for member in self.upload_order:
            key = policy_key(member.policy_id)
            reason = own_reasons[key]
            base = self.base_in_set(member)
            base_uploaded = base is not None and reasons[policy_key(base.policy_id)] != "none"
            if reason == "none" and upload_descendants and base_uploaded:
                reason = "ancestor"
            reasons[key] = reason
        return [(member, reasons[policy_key(member.policy_id)]) for member in self.upload_order]


def _named(member):
    return "%s (%s)" % (member.policy_id, member.where)


def _refuse_duplicates(members):
    by_key = {}
    clashes = []
    for member in members:
        key = policy_key(member.policy_id)
        if key in by_key:
            clashes.append((by_key[key], member))
        else:
            by_key[key] = member
    if clashes:
        raise ValidationError(
            "; ".join(
                "%s and %s both have PolicyId %s" % (first.where, second.where, first.policy_id)
                for first, second in clashes
            )
            + ": a set holds each policy once"
        )
    return by_key
