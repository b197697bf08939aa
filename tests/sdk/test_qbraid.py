"""The real qbraid 0.13 SDK (qbraid-core 0.6) against what jupyter_qcred wrote into ``~/.qbraid/qbraidrc``: in a real
kernel it authenticates to the stand-in, reads the credit balance and lists devices; a revoked key fails there and
our status says why; ``jupyter qcred doctor`` asks the installed SDK which key it would send; and our re-statement of
qbraid-core's resolution (:mod:`jupyter_qcred.providers.qbraid.rc`) agrees with the SDK's own, case by case."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel
from support.ionq import manager

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.doctor import Context, run_probe, sha
from jupyter_qcred.providers.qbraid import rc
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow
pytest.importorskip("qbraid_core")


def clean_environ(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without qBraid's variables (the SDK must see only what the test sets)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("QBRAID_", "QCRED_", "JUPYTER_QCRED_"))}
    return {**kept, "HOME": str(home), **extra}


def kernel_outputs(home: Path, environ: dict[str, str], code: str) -> str:
    km, kc = start_new_kernel(cwd=str(home), env=environ)
    try:
        outputs: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            content = msg["content"]
            outputs.append(str(content.get("text", "")) + str(content.get("evalue", "")))

        kc.execute_interactive(textwrap.dedent(code), timeout=120, output_hook=hook)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(outputs)


SDK_CODE = """
from qbraid_core.client import QbraidClient
from qbraid.runtime import QbraidProvider
try:
    client = QbraidClient()
    print("user", client._user_metadata["email"], "credits", client.user_credits_value())
    print("devices", [device.id for device in QbraidProvider().get_devices()])
except Exception as exc:
    print("failed", type(exc).__name__, exc)
"""


def test_the_real_sdk_in_a_kernel_uses_the_key_we_wrote_and_a_revoked_key_is_our_sentence(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    home = tmp_path / "home"
    rcfile = home / ".qbraid" / "qbraidrc"
    rcfile.parent.mkdir(parents=True)
    rcfile.write_text("[default]\norganization = organization:default\nworkspace = qbraid\n\n[other]\napi-key = x1\n")
    key = str(sandbox.admin("POST", "qbraid/keys", {"user": "alice"})["key"])
    sandbox.admin("POST", "qbraid/credits", {"user": "alice", "credits": 42})
    m = manager(home)
    m.materialize(
        parse_bundle({"version": 1, "qbraid": [{"key": key, "url": sandbox.info["qbraid_url"]}]}), source="bundle"
    )
    environ = clean_environ(home)
    out = kernel_outputs(home, environ, SDK_CODE)
    assert "user alice@example.org credits 42.0" in out and "devices ['qbraid:qbraid:sim:sandbox']" in out, out
    assert {e["user"] for e in sandbox.log("qbraid_devices")} == {"alice"}
    assert key not in out

    sandbox.admin("POST", "qbraid/revoke", {"user": "alice"})
    out = kernel_outputs(home, environ, SDK_CODE)
    assert "failed AuthError" in out and "qBraid credentials missing or expired" in out, out
    asyncio.run(m.refresh("qbraid"))
    status = next(s.to_json() for s in m.statuses() if s.provider == "qbraid")
    assert status["state"] == "needs_reinit" and status["action_needed"]
    assert "does not accept this API key" in status["error"] and "account.qbraid.com" in status["error"]


def doctor_answer(home: Path, environ: dict[str, str]) -> dict[str, Any]:
    cli = [str(Path(sys.executable).with_name("jupyter-qcred"))]
    done = subprocess.run([*cli, "doctor", str(home), "--json"], env=environ, capture_output=True, text=True)
    answer = json.loads(done.stdout)
    return next(f for f in answer["sdks"] if f["provider"] == "qbraid")


def test_the_doctor_asks_qbraid_core_which_key_it_sends(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    ours = "qbr_" + "a1" * 32
    m = manager(home)
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": ours}]}), source="bundle")
    agreed = doctor_answer(home, clean_environ(home))
    assert agreed["state"] == "ok" and agreed["uses"] == "api-key in ~/.qbraid/qbraidrc", agreed
    assert agreed["details"]["url"] == rc.DEFAULT_URL and agreed["fingerprint"] == "…a1a1"
    # The file's key beats QBRAID_API_KEY in qbraid-core: still ours.
    env_key = doctor_answer(home, clean_environ(home, QBRAID_API_KEY="qbr_" + "b2" * 32))
    assert env_key["state"] == "ok", env_key
    # An access token (qBraid Lab's) is sent instead of any key: the doctor says so.
    token = doctor_answer(home, clean_environ(home, QBRAID_ACCESS_TOKEN="lab-token-c3c3"))
    assert token["state"] == "differs" and "QBRAID_ACCESS_TOKEN" in token["message"], token
    # QBRAID_API_URL beats the file's url in qbraid-core, and in the views (the same environment) too.
    moved = doctor_answer(home, clean_environ(home, QBRAID_API_URL="https://api.example.org/api/v1/"))
    assert moved["state"] == "ok" and moved["details"]["url"] == "https://api.example.org/api/v1", moved
    for finding in (agreed, env_key, token, moved):
        assert ours not in json.dumps(finding) and "lab-token-c3c3" not in json.dumps(finding)


WHITE_LABEL = "eq1_mfygsltfof2wc3brfzrw63i." + "0" * 64  # api.equal1.com, qbraid-core's own example

CASES = [
    ("[default]\napi-key = qbr_file1\n", {}),
    ("[default]\napi-key = qbr_file1\n", {"QBRAID_API_KEY": "qbr_env2"}),
    ("", {"QBRAID_API_KEY": "qbr_env2"}),
    ("[default]\napi-key = \nurl = https://old.qbraid.com/api/\n", {"QBRAID_API_KEY": "qbr_env2"}),
    (
        "[default]\napi-key = qbr_file1\nurl = https://old.qbraid.com/api/\n",
        {"QBRAID_API_URL": "https://u.example/v1/"},
    ),
    (f"[default]\napi-key = {WHITE_LABEL}\nurl = https://api-v2.qbraid.com/api/v1/\n", {}),
    (f"[default]\napi-key = {WHITE_LABEL}\naccess-token = tok\nurl = https://a.example/x\n", {}),
    ("[DEFAULT]\nurl = https://inherited.example/api\n[default]\nAPI-KEY = qbr_upper3\n", {}),
    ("[work]\napi-key = qbr_work4\n", {"QBRAID_ACCESS_TOKEN": "tok"}),
]

PROBE = """
import json, os
from qbraid_core.sessions import QbraidSessionV1
s = QbraidSessionV1()
print(json.dumps({"key": s.api_key, "token": bool(s.access_token), "url": s.base_url.rstrip("/")}))
"""


@pytest.mark.parametrize(("text", "env"), CASES)
def test_our_resolution_is_qbraid_cores(tmp_path: Path, text: str, env: dict[str, str]) -> None:
    path = tmp_path / "qbraidrc"
    path.write_text(text)
    environ = clean_environ(tmp_path, QBRAID_CONFIG_FILE=str(path), **env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, timeout=60)
    sdk = json.loads(done.stdout.strip().splitlines()[-1])
    ours = rc.resolve(rc.read_options(text, path), environ)
    assert (ours.key, ours.token_source is not None, ours.url) == (sdk["key"], sdk["token"], sdk["url"])
    assert rc.config_path(environ, tmp_path) == path


def test_the_probe_alone_reports_fingerprints_never_values(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    m = manager(home)
    m.materialize(parse_bundle({"version": 1, "qbraid": [{"key": "qbr_probe5678"}]}), source="bundle")
    provider = m.providers["qbraid"]
    probe = provider.doctor_probe()
    assert probe is not None
    result = run_probe(probe, home, clean_environ(home))
    assert isinstance(result, dict) and "qbr_probe5678" not in json.dumps(result)
    assert result["key"]["sha"] == sha("qbr_probe5678") and result["key_origin"] == "file"
    context = Context(entries=[s.to_json() for s in m.statuses()], path=home, environ={}, home=home)
    assert [f.state for f in probe.compare(result, context)] == ["ok"]
