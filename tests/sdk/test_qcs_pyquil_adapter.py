"""The pyquil adapter with the real pyquil 4.22 / qcs-sdk-python 0.21.22 in plain Python processes (site enabled, so
the installed ``jupyter_qcred_adapters.pth`` registers the hook exactly as in a user's script).

The wake: alice's credential written by jupyter_qcred with the hand-off, its access token expired 100 s ago (past
the bundled client's 60 s leeway: the copy is what a laptop finds after sleeping), no Jupyter server. Plain
``list_quantum_computers()`` and ``get_qc()`` then work with one token request (made by our token command under its
lock), the rotated refresh token is stored and still accepted, and the SDK process writes nothing. The baseline
(adapter switched off), an unknown qcs-sdk-python version and a plain credential keep pyquil's own behaviour.

``get_qc("2q-qvm")`` needs a QVM answering its version request; no QVM is installed here, so the script serves that
one answer on loopback (the sandbox has no instruction-set-architecture endpoint for a QPU-backed ``get_qc``).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, stored_qcs_payload
from support.qcs import PYTHON, provider, sandbox_env
from support.qcs_handoff import run, secrets_toml, write
from support.sandbox_http import refresh, tls_client

from jupyter_qcred.core.importhook import ENV
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.sandbox.client import Sandbox

pytest.importorskip("pyquil")

#: Plain pyquil code as people write it; prints what happened as JSON (never a token).
SCRIPT = textwrap.dedent(
    """
    import http.server, json, os, threading, warnings

    class Qvm(http.server.BaseHTTPRequestHandler):  # a QVM's answer to {"type": "version"}, nothing else
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b"1.17.2 [cf3f91f]"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    qvm = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Qvm)
    threading.Thread(target=qvm.serve_forever, daemon=True).start()
    os.environ["QCS_SETTINGS_APPLICATIONS_QVM_URL"] = f"http://127.0.0.1:{qvm.server_address[1]}"
    warnings.simplefilter("ignore")

    from pyquil import get_qc, list_quantum_computers
    from jupyter_qcred.core import importhook

    from pyquil.api import QCSClient

    out = {}
    try:
        try:  # seeded with the file's copy: no command has to run before the first request
            out["seeded"] = bool(QCSClient.load().oauth_session.access_token)
        except ValueError:  # "No access token has been requested."
            out["seeded"] = False
        out["names"] = list_quantum_computers(qpus=True, qvms=False)
        qc = get_qc("2q-qvm")
        client = qc.compiler._client_configuration
        out["qc_payload"] = type(client.oauth_session.payload).__name__
        out["again"] = list_quantum_computers(client_configuration=client, qpus=True, qvms=False)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["report"] = importhook.report()
    print(json.dumps(out), flush=True)
    """
)
NAMES = ["Ankaa-3", "Cepheus-1-36Q"]
NO_REFRESH_TOKEN = "No refresh token is configured within the selected QCS credential"


def pyquil(env: dict[str, str], scanner: SecretScanner) -> dict[str, Any]:
    done = run([PYTHON, "-c", SCRIPT], env, scanner)
    assert done.returncode == 0, done.stderr[-2000:]
    scanner.saw("pyquil stdout", done.stdout)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def woken(tmp_path: Path, sandbox: Sandbox, scanner: SecretScanner, **spec: Any) -> tuple[Any, dict[str, Any]]:
    """alice's profile written by jupyter_qcred, its access token expired 100 s ago; the sandbox log cleared."""
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "")
    tokens = write(qcs, sandbox, -100, **spec)
    scanner.add_secrets(tokens)
    return qcs, tokens


@pytest.mark.slow  # two pyquil processes (2.9 s); the others run one (1.3 to 1.7 s)
def test_a_wake_plain_pyquil_gets_one_token_and_the_chain_stays_intact(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    qcs, tokens = woken(tmp_path, sandbox, secret_scanner)
    env = sandbox_env(tmp_path, sandbox.ca_file)
    first = pyquil(env, secret_scanner)
    assert first.get("error") is None
    assert (first["names"], first["again"], first["qc_payload"]) == (NAMES, NAMES, "ExternallyManaged")
    assert first["report"]["pyquil"] == "active"
    assert first["seeded"] is False, "the expired copy is not handed to pyquil"
    (request,) = sandbox.token_requests()
    assert (request["grant_type"], request["status"]) == ("refresh_token", 200)
    text = qcs.secrets_path.read_text()
    stored = stored_qcs_payload(text)
    secret_scanner.add_secrets(stored["access_token"], stored["refresh_token"])
    # Written by our command only: the copy is exactly the mirror of our entry (the SDK would have written its own
    # updated_at, and it never writes a Builder client's token at all).
    copy = secrets_toml(qcs)["default"]["token_payload"]
    assert copy == {"access_token": stored["access_token"], "updated_at": stored["updated_at"]}

    second = pyquil(env, secret_scanner)  # the copy is fresh now: it seeds the client, no command, no request
    assert (second["names"], second["again"], second["seeded"]) == (NAMES, NAMES, True)
    assert len(sandbox.token_requests()) == 1
    assert qcs.secrets_path.read_text() == text, "the SDK processes wrote nothing"

    assert stored["refresh_token"] != tokens["refresh_token"], "the rotated refresh token was kept"
    with tls_client(sandbox) as client:
        assert refresh(client, sandbox, stored["refresh_token"]).status_code == 200, "the chain is intact"


def test_b_switched_off_pyquil_fails_as_before(tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner) -> None:
    """The baseline the adapter fixes (issue 22), and proof that the switch reaches a plain script."""
    woken(tmp_path, sandbox, secret_scanner)
    env = {**sandbox_env(tmp_path, sandbox.ca_file), ENV: "off"}
    result = pyquil(env, secret_scanner)
    assert NO_REFRESH_TOKEN in result["error"]
    assert result["report"]["pyquil"] == f"off ({ENV}=off)"
    assert sandbox.token_requests() == []


def test_c_an_unknown_qcs_sdk_version_is_left_alone_and_says_why(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    woken(tmp_path, sandbox, secret_scanner)
    # importlib.metadata finds the first distribution on sys.path: a dist-info reporting 0.99.0 ahead of
    # site-packages is what a newer qcs-sdk-python looks like to the adapter (the module itself is unchanged).
    fake = tmp_path / "newer" / "qcs_sdk_python-0.99.0.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: qcs-sdk-python\nVersion: 0.99.0\n")
    env = sandbox_env(tmp_path, sandbox.ca_file)
    env["PYTHONPATH"] = os.pathsep.join([str(fake.parent), env["PYTHONPATH"]])
    result = pyquil(env, secret_scanner)
    assert NO_REFRESH_TOKEN in result["error"], "untouched: pyquil's own behaviour"
    said = result["report"]["pyquil"]
    assert "qcs-sdk-python 0.99.0" in said and "0.21.x" in said, said  # the version and the ones it knows
    assert sandbox.token_requests() == []


def test_d_a_plain_credential_is_not_ours_and_stays_pyquils(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    """Plain files (``handoff = "files"``): the adapter is active but returns pyquil's own client, which refreshes
    with its refresh token and writes the new access token back, as it did before jupyter_qcred."""
    qcs, tokens = woken(tmp_path, sandbox, secret_scanner, handoff="files")
    assert set(secrets_toml(qcs)) == {"default"}
    assert "externally_managed" not in secrets_toml(qcs)["default"]
    result = pyquil(env := sandbox_env(tmp_path, sandbox.ca_file), secret_scanner)
    assert result.get("error") is None
    assert (result["names"], result["qc_payload"], result["report"]["pyquil"]) == (NAMES, "RefreshToken", "active")
    (request,) = sandbox.token_requests()
    assert request["grant_type"] == "refresh_token"
    written = secrets_toml(qcs)["default"]["token_payload"]
    secret_scanner.add_secrets(written["access_token"])
    assert written["access_token"] != tokens["access_token"], "pyquil wrote its new access token, as always"
    assert env  # (the same environment as the wake)


def test_e_a_failing_token_command_names_the_file_and_what_to_do(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    qcs, tokens = woken(tmp_path, sandbox, secret_scanner)
    sandbox.revoke("alice")
    result = pyquil(sandbox_env(tmp_path, sandbox.ca_file), secret_scanner)
    error = result["error"]
    assert f"the token command of QCS profile 'default' (written in {qcs.secrets_path}) failed (exit 3)" in error
    assert "`jupyter qcred token qcs --profile=default` tries again" in error
    assert tokens["refresh_token"] not in error and tokens["access_token"] not in error
    assert [r["status"] for r in sandbox.token_requests()] == [400]
    assert handoff.managed_name("default") in secrets_toml(qcs), "nothing removed"


HELD = textwrap.dedent(
    """
    import base64, json, time
    from pyquil.api import QCSClient, list_quantum_computers

    client = QCSClient.load()
    first = list_quantum_computers(client_configuration=client, qpus=True, qvms=False)
    token = client.oauth_session.access_token
    body = token.split(".")[1]
    expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"]
    time.sleep(max(0.0, expires + 61 - time.time()))  # past the crate's 60 s leeway: it must ask again
    second = list_quantum_computers(client_configuration=client, qpus=True, qvms=False)
    print(json.dumps({"first": first, "second": second, "renewed": client.oauth_session.access_token != token}))
    """
)


@pytest.mark.slow  # waits out a 5 s token and the crate's 60 s leeway (about 70 s)
@pytest.mark.timeout(240)
def test_f_a_client_held_across_an_expiry_asks_the_command_again(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    """A ``QuantumComputer``'s client lives as long as the object: past the token's expiry (and the leeway) it runs
    our command again instead of failing with "No refresh token"."""
    qcs, _ = woken(tmp_path, sandbox, secret_scanner)
    sandbox.configure(access_token_lifetime=5)
    done = run([PYTHON, "-c", HELD], sandbox_env(tmp_path, sandbox.ca_file), secret_scanner)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"first": NAMES, "second": NAMES, "renewed": True}
    assert [(r["grant_type"], r["status"]) for r in sandbox.token_requests()] == [("refresh_token", 200)] * 2
    stored = stored_qcs_payload(qcs.secrets_path.read_text())
    secret_scanner.add_secrets(stored["access_token"], stored["refresh_token"])
    assert secrets_toml(qcs)["default"]["token_payload"]["updated_at"] == stored["updated_at"], "only our writes"
