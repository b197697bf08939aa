"""``jupyter qcred scan`` (core/scan.py, cli/scan.py) run as a user runs it: a subprocess with its own HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_qcred.core.rotated import RotatedValues
from jupyter_qcred.core.secrets import Secret
from jupyter_qcred.sandbox.tokens import JwtSigner

ROOT = Path(__file__).resolve().parents[2]
KEY = "Xq7" + "k2Pz9" * 8 + "a1b"  # 44 characters, like an IBM Cloud API key
NAME = "default-ibm-quantum-platform"
OLD_KEY = "Old9" + "r4Tm8" * 8  # an earlier key of the same account, rotated away
IBM_ACCOUNTS = {
    NAME: {
        "channel": "ibm_quantum_platform",
        "token": KEY,
        "instance": "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:def::",
        "url": "https://cloud.ibm.com",
        "verify": True,
        "private_endpoint": False,
    }
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A HOME whose ~/.qiskit/qiskit-ibm.json holds one IBM Quantum key."""
    path = tmp_path / "home"
    (path / ".qiskit").mkdir(parents=True, mode=0o700)
    (path / ".qiskit" / "qiskit-ibm.json").write_text(json.dumps(IBM_ACCOUNTS))
    return path


def scan(home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QCRED_", "QCS_", "QE_", "QISKIT_", "IONQ_"))}
    env.update({"HOME": str(home)})
    env.pop("XDG_STATE_HOME", None)
    env.pop("JUPYTER_QCRED_STATE_DIR", None)
    command = [sys.executable, "-m", "jupyter_qcred.cli", "scan", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def notebook(*cells: dict[str, object]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}, indent=1)


def code(source: str, *outputs: dict[str, object]) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": source, "outputs": list(outputs)}


def git_repository(path: Path) -> Path:
    path.mkdir(parents=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=60)
    return path


def test_a_leaked_key_in_a_notebook_and_a_script_exits_1_with_both_places(home: Path, tmp_path: Path) -> None:
    repo = git_repository(tmp_path / "repo")
    (repo / "analysis.ipynb").write_text(
        notebook(
            {"cell_type": "markdown", "metadata": {}, "source": "# Runs on IBM Quantum"},
            code(
                f'from qiskit_ibm_runtime import QiskitRuntimeService\nservice = QiskitRuntimeService(token="{KEY}")',
                {"output_type": "stream", "name": "stdout", "text": ["connected\n", f"key {KEY}\n"]},
            ),
        )
    )
    (repo / "src").mkdir()
    (repo / "src" / "run.py").write_text(f'"""Run."""\n\nTOKEN = "{KEY}"\n')
    (repo / "clean.py").write_text("print('nothing here')\n")
    if shutil.which("git"):  # what git ignores is not read
        (repo / ".gitignore").write_text("private/\n")
        (repo / "private").mkdir()
        (repo / "private" / "mine.txt").write_text(KEY)

    run = scan(home, repo)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    label = f"current: IBM Quantum API key ‘{NAME}’ …{KEY[-4:]} (ibm)"
    assert f"analysis.ipynb:cell 2:line 2: {label}" in lines
    assert f"analysis.ipynb:cell 2:output 1:line 2: {label}" in lines
    assert f"src/run.py:line 3: {label}" in lines
    assert len(lines) == 3, lines
    assert "3 credential values in 2 files" in run.stderr
    assert KEY not in run.stdout + run.stderr

    as_json = scan(home, repo, "--json")
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert {(f["path"], f["cell"], f["output"], f["line"], f["kind"]) for f in answer["findings"]} == {
        ("analysis.ipynb", 2, None, 2, "current"),
        ("analysis.ipynb", 2, 1, 2, "current"),
        (os.path.join("src", "run.py"), None, None, 3, "current"),
    }
    assert KEY not in as_json.stdout

    # pre-commit passes the staged files: only those are read
    only = scan(home, repo, "clean.py", "src/run.py")
    assert only.returncode == 1 and only.stdout.splitlines() == [f"src/run.py:line 3: {label}"]


def test_a_clean_tree_exits_0_and_a_missing_path_2(home: Path, tmp_path: Path) -> None:
    repo = git_repository(tmp_path / "repo")
    (repo / "analysis.ipynb").write_text(notebook(code("import jupyter_qcred\nkey = jupyter_qcred.credential('ibm')")))
    (repo / "big.log").write_bytes(b"x" * (5 * 1024 * 1024 + 1))
    (repo / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + KEY.encode())
    run = scan(home, repo, "--verbose", "--no-git")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "not read: ./big.log: larger than 5 MB" in run.stderr
    assert "not read: ./image.png: binary" in run.stderr
    missing = scan(home, repo, "nowhere")
    assert missing.returncode == 2 and "nowhere: no such file or folder" in missing.stderr


def test_a_rotated_key_is_found_by_its_hash(home: Path, tmp_path: Path) -> None:
    rotated = RotatedValues.default({"HOME": str(home)})
    rotated.record([Secret(OLD_KEY, "ibm", "IBM Quantum", NAME, "API key")])
    assert OLD_KEY not in rotated.path.read_text(), "only hashes are kept"
    repo = git_repository(tmp_path / "repo")
    (repo / "old.py").write_text(f"# from last month\nsave_account(channel='ibm_cloud', token='{OLD_KEY}')\n")
    run = scan(home, repo)
    assert run.returncode == 1, run.stderr
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert run.stdout.splitlines() == [
        f"old.py:line 2: rotated: IBM Quantum API key ‘{NAME}’, rotated away on {day} …{OLD_KEY[-4:]} (ibm)"
    ]
    assert OLD_KEY not in run.stdout + run.stderr


def test_a_qcs_access_token_is_found_by_its_issuer(home: Path, tmp_path: Path) -> None:
    """A JWT the sandbox's signer mints with Rigetti's issuer is reported; the same shape from another issuer
    (anyone's login token) is not."""
    signer = JwtSigner()
    now = int(time.time())
    claims = {"sub": "alice", "iat": now, "exp": now + 3600, "scp": ["openid"]}
    qcs = signer.mint({**claims, "iss": "https://auth.qcs.rigetti.com/oauth2/aus8jcovzG0gW2TUG355"})
    other = signer.mint({**claims, "iss": "https://login.example.org/"})
    repo = git_repository(tmp_path / "repo")
    (repo / "notes.md").write_text(f"Our token:\n\n    {other}\n\nand QCS's:\n\n    {qcs}\n")
    run = scan(home, repo)
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"notes.md:line 7: format: a Rigetti QCS access token (a JWT issued by QCS) …{qcs[-4:]} (qcs)"
    ]
    assert qcs not in run.stdout + run.stderr


def test_the_projects_own_tests_hold_no_credential(tmp_path: Path) -> None:
    """The fixtures and tests of this project (demo bundles, fake keys, JWT samples) are not reported: no false
    positive from the formats, with a HOME that holds no credential."""
    empty = tmp_path / "home"
    empty.mkdir()
    run = scan(empty, ROOT, "tests/", "--json")
    assert run.returncode in (0, 1), run.stderr
    findings = json.loads(run.stdout)["findings"]
    # The tests of the providers' formats hold samples of those formats on purpose: the only hits allowed.
    unexplained = [f for f in findings if not (f["kind"] == "format" and f["path"].endswith("_leaks.py"))]
    assert unexplained == []
    assert (run.returncode == 1) == bool(findings)


def test_a_sample_marked_as_such_is_not_reported(home: Path, tmp_path: Path) -> None:
    repo = git_repository(tmp_path / "repo")
    sample = "abcdefABCDEF0123456789xyz"
    (repo / "doc.md").write_text(f"IONQ_API_KEY={sample}  <!-- pragma: allowlist secret -->\nIONQ_API_KEY={sample}\n")
    (repo / "mine.py").write_text(f'token = "{KEY}"  # pragma: allowlist secret\n')
    run = scan(home, repo)
    assert run.returncode == 1
    assert sorted(run.stdout.splitlines()) == [
        f"doc.md:line 2: format: an IonQ API key …{sample[-4:]} (ionq)",
        f"mine.py:line 1: current: IBM Quantum API key ‘{NAME}’ …{KEY[-4:]} (ibm)",
    ], "a current value is reported even on a marked line"
