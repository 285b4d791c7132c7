"""What Graph answers for a request no route serves: an unknown path, or a method the path does not take."""

from __future__ import annotations

import json
import re

# The segments Graph knows under /beta (None stands for any key: a keyset, policy or key id).
KNOWN_SEGMENTS = {
    "trustFramework": {
        "keySets": {
            None: {
                "generateKey": {},
                "uploadSecret": {},
                "uploadCertificate": {},
                "uploadPkcs12": {},
                "getActiveKey": {},
                "keys_v2": {None: {}},
            }
        },
        "policies": {None: {"$value": {}}},
    },
}
VERSIONS = {"beta": KNOWN_SEGMENTS, "v1.0": {}}  # trustFramework is beta only
CPIM_ENTITY = re.compile(r"/(keySets|policies)/([^/]+)")


def unknown_segment(path: str) -> str:
    """The first segment of the path Graph does not know (the last one when every segment is known)."""
    segments = [segment for segment in path.split("/") if segment]
    tree = VERSIONS.get(segments[0], {}) if segments else {}
    for segment in segments[1:]:
        if segment in tree:
            tree = tree[segment]
        elif None in tree:
            tree = tree[None]
        else:
            return segment
    return segments[-1] if segments else ""


def not_found_answer(path: str) -> tuple[int, str, str]:
    """(status, code, message) for a path no route serves.

    Graph answers 400 BadRequest "Resource not found for the segment '...'", never 404 (microsoftgraph/
    microsoft-graph-docs issues #4900, #4052, #21648). A 404 would read as "keyset missing" to a client,
    so a wrongly built URL would pass as an absent keyset.
    """
    return 400, "BadRequest", f"Resource not found for the segment '{unknown_segment(path)}'."


def wrong_method_answer(path: str) -> tuple[int, str, str]:
    """(status, code, message) for a method a trustFramework path does not take.

    Graph hands such requests to the B2C back end (CPIM), whose Web API answer comes back wrapped, its JSON as
    the message string: {"error": {"code": "UnknownError", "message": "{\\"message\\":\\"No HTTP resource was
    found ..."}} (microsoftgraph/msgraph-beta-sdk-dotnet #883, a PATCH of a policy; the same text in
    azure-ad-b2c/deploy-trustframework-policy #154). The status is not shown there: 400 here (inferred), so a
    client that reads 404 as "missing" fails loudly.
    """
    cpim_path = CPIM_ENTITY.sub(r"/\1('\2')", path.removeprefix("/beta"))
    inner = {
        "message": f"No HTTP resource was found that matches the request URI 'https://cpim.windows.net/graph{cpim_path}'.",
        "messageDetail": "No action was found on the controller 'trustframework' that matches the request.",
        "stackTrace": None,
    }
    return 400, "UnknownError", json.dumps(inner, separators=(",", ":"))
