"""FakeGraph with the policy endpoints: ids listed, XML read and written through ``$value``, answers as real tenants give.

``reformat`` makes GET ``$value`` answer a re-serialized copy (as a service that
rewrites what it stores would); ``refuse_upload`` makes the next PUT fail with
the service's validation message. Every PUT body is kept as bytes, so tests see
exactly what was sent.
"""

from urllib.parse import unquote

from ansible_collections.b2c.trustframework.plugins.module_utils.errors import GraphError
from tests.support.policies import reformatted
from tests.unit.plugins.module_utils.fake_graph import FakeGraph

POLICIES = "/trustFramework/policies"


def _missing(method, path, policy_id):
    return GraphError(
        status=400,
        code="AADB2C90073",
        method=method,
        path=path,
        graph_message="Policy with 'policyId': %s cannot be found in the directory 'fake'" % policy_id,
    )


class FakePolicyGraph(FakeGraph):
    def __init__(self, keysets=None, now=1767225600, policies=None, reformat=False):
        super().__init__(keysets=keysets, now=now)
        self.policies = dict((policy_id.lower(), (policy_id, text)) for policy_id, text in (policies or {}).items())
        self.reformat = reformat
        self.uploads = []
        self.refusal = None

    def refuse_upload(self, message):
        error = GraphError(status=400, code="AADB2C", graph_message=message, method="PUT", path=POLICIES)
        error.service_message = message
        self.refusal = error

    def policy_writes(self):
        return [(m, p) for m, p, _b in self.calls if m in ("PUT", "DELETE") and p.startswith(POLICIES)]

    def get_all(self, path, params=None):
        if path != POLICIES:
            return super().get_all(path, params)
        self.calls.append(("GET", path, None))
        fault = self._take_fault("GET", path)
        if fault:
            raise fault["error"]
        return [{"id": policy_id} for policy_id, _text in self.policies.values()]

    # pylint: disable-next=too-many-arguments
    def request(self, method, path, *, json=None, params=None, content=None, content_type=None, accept=None):
        if not path.startswith(POLICIES):
            return super().request(method, path, json=json, params=params)
        self.calls.append((method, path, content))
        parts = [unquote(part) for part in path[len(POLICIES) :].split("/") if part]
        policy_id = parts[0]
        stored = self.policies.get(policy_id.lower())
        if method == "PUT":
            assert parts[1:] == ["$value"] and content_type == "application/xml; charset=utf-8"
            self.uploads.append(content)
            if self.refusal is not None:
                error, self.refusal = self.refusal, None
                raise error
            self.policies[policy_id.lower()] = (policy_id, content.decode("utf-8"))
            return None
        if stored is None:
            raise _missing(method, path, policy_id)
        if method == "DELETE":
            del self.policies[policy_id.lower()]
            return None
        assert method == "GET" and parts[1:] == ["$value"]
        return reformatted(stored[1]) if self.reformat else stored[1]
