"""Hostile servers on 127.0.0.1 (hostile_front.py): answers that quote the request, or have the wrong shape.

Every case is a playbook run through a server in front of the emulator; the task
must fail with a message of ours, and nothing the task was given as a secret may
show, in any form the request carried it, anywhere in the output.
"""

import json
import re

import pytest

from tests.emulator.pytest_plugin import EmulatorProcess
from tests.integration.reliability.hostile_front import HostileFront, RawJson, echo_form_body, echo_json_body
from tests.integration.reliability.support import encoded_forms, leaked_runs, local_play, module_task, run_plays
from tests.support.certs import b64, pfx, self_signed

# Older Entra client secrets contain + / =; JSON escapes " \ and (ensure_ascii) non-ASCII characters.
ECHOED_SECRETS = {
    "client_secret": "Echo+Client/Secret=5c1b7e+==",
    "uploaded_secret": 'Echo"Upload\\Secret\u00e4+/=d4f2a8',
    "pkcs12_password": "Echo+Pfx/Password=9e41c6",
}
TOKEN_PATH = r"/oauth2/v2\.0/token$"


@pytest.fixture(scope="module")
def echo_emulator():
    with EmulatorProcess(client_secret=ECHOED_SECRETS["client_secret"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def echoed_run(echo_emulator, tmp_path_factory):
    """Login quotes the form body, uploadSecret and uploadPkcs12 quote the JSON body."""
    tmp_path = tmp_path_factory.mktemp("echo")
    key, cert = self_signed("echo-pkcs12")
    bundle_path = tmp_path / "bundle.pfx"
    bundle_path.write_bytes(pfx(key, cert, ECHOED_SECRETS["pkcs12_password"]))
    bundle = b64(bundle_path.read_bytes())  # sent as this base64: read from pkcs12_path, it is no option's value
    tasks = [
        module_task("login quotes the form body", "b2c_keyset_info", {"token_cache_path": ""}, ignore_errors=True),
        module_task(
            "uploadSecret quotes the JSON body",
            "b2c_keyset_key",
            {
                "keyset": "EchoSecret",
                "source": "secret",
                "secret": ECHOED_SECRETS["uploaded_secret"],
                "token_cache_path": "",
            },
            ignore_errors=True,
        ),
        module_task(
            "uploadPkcs12 quotes the JSON body",
            "b2c_keyset_key",
            {
                "keyset": "EchoPfx",
                "source": "pkcs12",
                "pkcs12_path": str(bundle_path),
                "token_cache_path": "",
                "pkcs12_password": ECHOED_SECRETS["pkcs12_password"],
            },
            ignore_errors=True,
        ),
    ]
    login_fails = [("POST", TOKEN_PATH, echo_form_body)]
    uploads_fail = [("POST", r"/upload(Secret|Pkcs12)$", echo_json_body)]
    runs = {}
    for task, rules in zip(tasks, (login_fails, uploads_fail, uploads_fail)):
        folder = tmp_path / str(len(runs))
        folder.mkdir()
        with HostileFront(echo_emulator, rules) as front:
            run = run_plays(echo_emulator, folder, [local_play([task])], "-vvv", env=front.env())
            bodies = [request.text for request in front.seen if re.search(TOKEN_PATH + "|/upload", request.path)]
        runs[task["name"]] = (run, bodies)
    return runs, bundle


@pytest.mark.integration
@pytest.mark.parametrize(
    "task, secrets",
    [
        ("login quotes the form body", ["client_secret"]),
        ("uploadSecret quotes the JSON body", ["uploaded_secret", "client_secret"]),
        ("uploadPkcs12 quotes the JSON body", ["pkcs12_password", "pkcs12 bundle", "client_secret"]),
    ],
)
def test_a_server_quoting_the_request_shows_no_form_of_a_secret(echoed_run, task, secrets):
    runs, bundle = echoed_run
    run, bodies = runs[task]
    values = dict(ECHOED_SECRETS, **{"pkcs12 bundle": bundle})
    assert run.failed(task), run.output[-4000:]
    message = run.result(task)["msg"]
    assert "********" in message, message
    assert any(form in body for body in bodies for form in encoded_forms(values[secrets[0]])), (
        "the request carried the secret (and the server quoted it)"
    )
    texts = {"output": run.output, "results": json.dumps(run.entries), "message": message}
    leaks = dict(
        ("%s in %s" % (name, where), leaked_runs(values[name], text))
        for name in secrets
        for where, text in texts.items()
    )
    assert not any(leaks.values()), leaks


# The keyset's GET answered with the wrong shape: what the task must say, naming the field.
WRONG_SHAPES = {
    "a list": ([], "the keyset is [], not a JSON object"),
    "a string": ("keyset", "the keyset is 'keyset', not a JSON object"),
    "keys of numbers": ({"id": "B2C_1A_Shape", "keys": [1, 2]}, "keyset B2C_1A_Shape keys[0] is 1, not a JSON object"),
    "keys not a list": ({"id": "B2C_1A_Shape", "keys": "none"}, "the keyset.keys is 'none', not a list"),
    "an infinite exp": (
        '{"id": "B2C_1A_Shape", "keys": [{"kid": "k1", "kty": "RSA", "use": "sig", "exp": 1e400}]}',
        "keys[0].exp is inf, not a date in epoch seconds",
    ),
    "exp: soon": (
        {"id": "B2C_1A_Shape", "keys": [{"kid": "k1", "kty": "RSA", "use": "sig", "exp": "soon"}]},
        "keys[0].exp is 'soon', not a date in epoch seconds",
    ),
    "an nbf before year 1": (
        {"id": "B2C_1A_Shape", "keys": [{"kid": "k1", "kty": "RSA", "use": "sig", "nbf": -1e29}]},
        "keys[0].nbf is -1e+29, not a date within the years 1 to 9999",
    ),
    "a numeric kid": (
        {"id": "B2C_1A_Shape", "keys": [{"kid": 7, "kty": "RSA", "use": "sig"}]},
        "keys[0].kid is 7, not a string",
    ),
}


def _answer_with(body):
    raw = body if isinstance(body, str) and body.startswith("{") else None

    def answer(request, forward):
        return 200, (RawJson(raw) if raw else body)

    return answer


@pytest.fixture(scope="module")
def wrong_shape_runs(emulator, tmp_path_factory):
    runs = {}
    for name, (body, _expected) in WRONG_SHAPES.items():
        folder = tmp_path_factory.mktemp("shape")
        tasks = [
            module_task(name, "b2c_keyset_key", {"keyset": "Shape"}, ignore_errors=True),
            module_task(name + " (info)", "b2c_keyset_info", {"name": "Shape"}, ignore_errors=True),
        ]
        with HostileFront(emulator, [("GET", r"/keySets/B2C_1A_Shape$", _answer_with(body))]) as front:
            runs[name] = run_plays(emulator, folder, [local_play(tasks)], env=front.env())
    return runs


@pytest.mark.integration
@pytest.mark.parametrize("name", list(WRONG_SHAPES))
def test_an_answer_of_the_wrong_shape_is_refused_naming_the_field(wrong_shape_runs, name):
    run = wrong_shape_runs[name]
    for task in (name, name + " (info)"):
        assert run.failed(task), run.output[-3000:]
        message = run.result(task)["msg"]
        assert "unexpected answer from Graph: " in message and WRONG_SHAPES[name][1] in message, message
        assert "Traceback" not in run.output and "MODULE FAILURE" not in message, message


@pytest.mark.integration
def test_a_throttled_login_says_how_long_to_wait_as_graph_does(emulator_clean, tmp_path):
    """A token 429 with Retry-After 3600: the task stops at once and gives Graph's advice, word for word."""
    advice = "The service asked to wait 3600 s before the next attempt (Retry-After), longer than this task waits"
    runs = {}
    for name, fault in (
        ("login", {"method": "POST", "path": "/oauth2/v2.0/token$"}),
        ("graph", {"method": "GET", "path": "/trustFramework/keySets$"}),
    ):
        emulator_clean.clear_faults()
        emulator_clean.clear_requests()
        emulator_clean.add_fault(status=429, retry_after="3600", count=None, **fault)
        folder = tmp_path / name
        folder.mkdir()
        task = module_task("throttled " + name, "b2c_keyset_info", {"token_cache_path": ""}, ignore_errors=True)
        runs[name] = run_plays(emulator_clean, folder, [local_play([task])])
        assert runs[name].failed(task["name"]), runs[name].output[-3000:]
        sent = [entry for entry in emulator_clean.requests() if re.search(fault["path"], entry["path"])]
        assert len(sent) == 1, "stopped at once, without a retry: %s" % sent
    emulator_clean.clear_faults()
    messages = [runs[name].result("throttled " + name)["msg"] for name in ("login", "graph")]
    tails = [message[message.index(advice) :] if advice in message else message for message in messages]
    assert advice in messages[0] and tails[0] == tails[1], messages
