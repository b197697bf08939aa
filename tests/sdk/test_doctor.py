"""The doctor against the real qiskit-ionq 1.1 + python-dotenv 1.2: a stale key in ``~/proj/.env`` is what a notebook
in ``~/proj/nb`` really sends (a real kernel gets 401 from the stand-in), the doctor (CLI and ``%qcred doctor`` in that
kernel) names that file and variable and says it differs from the panel; after the fix both agree, and a script
outside the home folder gets the key through the environment the server exports."""

from __future__ import annotations

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
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow

STALE = "stale-ionq-key-from-an-old-project-7a7a"


def clean_environ(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any cloud's variables (the doctor must see only what the test sets)."""
    prefixes = ("IONQ_", "QISKIT_", "QCS_", "AWS_", "NEXUS_", "QCRED_", "JUPYTER_QCRED_", "QE_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, "HOME": str(home), **extra}


def doctor(home: Path, folder: Path, environ: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    """``jupyter qcred doctor FOLDER --json`` and the text form: exit code, answer, text (both outputs checked)."""
    cli = [str(Path(sys.executable).with_name("jupyter-qcred"))]
    as_json = subprocess.run([*cli, "doctor", str(folder), "--json"], env=environ, capture_output=True, text=True)
    as_text = subprocess.run([*cli, "doctor", str(folder)], env=environ, capture_output=True, text=True)
    assert as_json.returncode == as_text.returncode, as_text.stderr
    return as_json.returncode, json.loads(as_json.stdout), as_text.stdout + as_text.stderr + as_json.stderr


def ionq(answer: dict[str, Any], mode: str) -> dict[str, Any]:
    return next(f for f in answer["sdks"] if f["provider"] == "ionq" and f["mode"] == mode)


def kernel_run(home: Path, cwd: Path, environ: dict[str, str]) -> str:
    """A real IPython kernel in ``cwd``: what qiskit-ionq sends to the stand-in, then ``%qcred doctor``."""
    km, kc = start_new_kernel(cwd=str(cwd), env=environ)
    try:
        code = textwrap.dedent(
            """
            from qiskit_ionq import IonQProvider
            from qiskit_ionq.exceptions import IonQAPIError
            try:
                IonQProvider().get_backend("simulator").client.retrieve_job("no-such-job")
            except IonQAPIError as exc:
                print("status", exc.status_code)
            %load_ext jupyter_qcred
            %qcred doctor
            """
        )
        outputs: list[str] = []
        kc.execute_interactive(
            code, timeout=180, output_hook=lambda msg: outputs.append(str(msg["content"].get("text", "")))
        )
        return "".join(outputs)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_stale_project_env_is_named_and_after_the_fix_everything_agrees(tmp_path: Path, sandbox: Sandbox) -> None:
    pytest.importorskip("qiskit_ionq")
    home = tmp_path / "home"
    project, notebooks = home / "proj", home / "proj" / "nb"
    notebooks.mkdir(parents=True)
    key = sandbox.issue_ionq_key("alice")
    manager(home).materialize(
        parse_bundle({"version": 1, "ionq": [{"key": key, "url": sandbox.ionq_url}]}), source="bundle"
    )
    (project / ".env").write_text(f"IONQ_API_KEY={STALE}\nIONQ_API_URL={sandbox.ionq_url}\n")
    environ = clean_environ(home)

    # What a notebook there really sends: the stale key of ~/proj/.env, refused by the stand-in.
    said = kernel_run(home, notebooks, environ)
    assert "status 401" in said, said
    # %qcred doctor in that kernel (its folder, its environment) names the file and the variable.
    assert "~/proj/.env sets IONQ_API_KEY, which notebooks in this folder use instead of the key shown here" in said
    assert "differs from what the panel shows" in said

    code, answer, text = doctor(home, notebooks, environ)
    assert code == 1
    found = ionq(answer, "notebook")
    assert found["state"] == "differs"
    assert (found["where"], found["variable"]) == ("~/proj/.env", "IONQ_API_KEY")
    assert found["fix"].startswith("Remove IONQ_API_KEY from ~/proj/.env or update it")
    assert found["fingerprint"] == f"…{STALE[-4:]}" and found["panel"] == f"…{key[-4:]}"
    assert "DIFFERS" in text and "differs from what the panel shows" in text
    for output in (text, json.dumps(answer), said):
        assert STALE not in output and key not in output, "the doctor printed a key"

    # The fix it suggests: the project's .env keeps its URL, loses the stale key.
    (project / ".env").write_text(f"IONQ_API_URL={sandbox.ionq_url}\n")
    # A key-less nearer .env hides ~/.env from notebooks: the doctor says so, it does not call that agreement.
    code, answer, text = doctor(home, notebooks, environ)
    assert code == 1 and ionq(answer, "notebook")["state"] == "differs"
    assert "holds no IonQ key but hides every .env above it" in ionq(answer, "notebook")["message"]
    # ... until the key reaches that folder the way the server hands it to kernels: the environment.
    served = clean_environ(home, IONQ_API_KEY=key)
    code, answer, text = doctor(home, notebooks, served)
    assert ionq(answer, "notebook")["state"] == "ok" and ionq(answer, "script")["state"] == "ok"
    assert code == 0, text
    assert "status 404" in kernel_run(home, notebooks, served)  # the key is accepted; the job does not exist

    # Without a project .env at all: ~/.env serves notebooks, and the doctor agrees.
    (project / ".env").unlink()
    code, answer, text = doctor(home, notebooks, served)
    assert code == 0 and ionq(answer, "notebook")["uses"] == "IONQ_API_KEY in ~/.env"


def test_a_script_outside_home_gets_the_key_only_from_the_environment(tmp_path: Path, sandbox: Sandbox) -> None:
    """``python script.py``: python-dotenv searches from qiskit_ionq's install folder, so ~/.env is never found; the
    variable the server exports is what reaches it (and the doctor's script line says so)."""
    pytest.importorskip("qiskit_ionq")
    home, outside = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    outside.mkdir()
    key = sandbox.issue_ionq_key("alice")
    manager(home).materialize(parse_bundle({"version": 1, "ionq": [{"key": key}]}), source="bundle")
    script = outside / "job.py"
    script.write_text("import qiskit_ionq.helpers as h\nprint('found', bool(h.resolve_credentials()['token']))\n")
    plain = subprocess.run([sys.executable, str(script)], cwd=outside, env=clean_environ(home), capture_output=True)
    assert plain.stdout.decode().strip() == "found False"
    exported = clean_environ(home, IONQ_API_KEY=key)
    served = subprocess.run([sys.executable, str(script)], cwd=outside, env=exported, capture_output=True)
    assert served.stdout.decode().strip() == "found True"
    _code, answer, _text = doctor(home, outside, clean_environ(home))
    assert ionq(answer, "script")["state"] == "none" and "IONQ_API_KEY" in ionq(answer, "script")["fix"]
    assert ionq(answer, "notebook")["state"] == "differs"  # a notebook outside the home folder finds no key either
    _code, answer, _text = doctor(home, outside, exported)
    assert ionq(answer, "script")["state"] == "ok" and ionq(answer, "notebook")["state"] == "ok"
