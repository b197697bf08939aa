"""``jupyter-qcred token qcs``'s fast path (providers/qcs/fasttoken.py): it prints the stored access token exactly when
no refresh is due, imports nothing heavy then, and its plain TOML reader agrees with tomllib or steps aside."""

from __future__ import annotations

import subprocess
import textwrap
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support.qcs import PYTHON, make_jwt, provider
from support.qcs_handoff import SCRIPT, write

from jupyter_qcred.core.bundle import QcsProfileSpec
from jupyter_qcred.providers.qcs import fasttoken, handoff


def test_fast_path_answers_exactly_when_no_refresh_is_due(tmp_path: Path) -> None:
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    env = {"HOME": str(tmp_path)}
    assert fasttoken.stored_token([], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile", "default"], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile=default"], env) == tokens["access_token"]
    assert fasttoken.stored_token(["--profile", "nope"], env) is None
    assert fasttoken.stored_token(["--verbose"], env) is None
    now = time.time()
    cases = ((now, 3600, False), (now - 2800, 3600, False), (now - 2900, 3600, True), (now, -5, True))
    for issued, lifetime, due in cases:
        qcs.secrets_path.unlink()  # (an older token would not replace a newer one on disk)
        token = make_jwt(lifetime, issued)
        qcs.materialize([QcsProfileSpec(profile="default", access_token=token, refresh_token="r")], source="t")
        answer = fasttoken.stored_token([], env)
        assert (answer is None) == due, (issued, lifetime)
        assert (answer is None) == (qcs._fast_path(qcs._resolve(qcs._load(), None), force=False) is None)
    for broken in ("[credentials.default\n", ""):
        qcs.secrets_path.write_text(broken)
        assert fasttoken.stored_token([], env) is None


@pytest.mark.parametrize("how", ["hand-off", "console script"])
def test_token_command_imports_nothing_heavy_when_no_refresh_is_due(tmp_path: Path, how: str) -> None:
    """As the SDK runs it (the hand-off's command: ``python -I -S tokenlaunch.py``, no site-packages at all) and as a
    person runs ``jupyter-qcred token qcs``: a token that is not due is printed with the standard library alone."""
    qcs = provider(tmp_path)
    tokens = write(qcs, None, 3600)
    probe = (
        "import runpy, sys; sys.argv = [sys.argv[1], 'token', 'qcs', '--profile=default']\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\nexcept SystemExit as exit:\n"
        "    heavy = sorted(m for m in ('httpx', 'asyncio', 'tomlkit', 'portalocker') if m in sys.modules)\n"
        "    print(exit.code, heavy, file=sys.stderr)\n"
    )
    flags, target = (["-I", "-S"], handoff.LAUNCHER) if how == "hand-off" else ([], SCRIPT)
    done = subprocess.run(
        [PYTHON, *flags, "-c", probe, str(target)],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == tokens["access_token"]
    assert done.stderr.strip() == "0 []", done.stderr
    write(qcs, None, -5)  # due: the full command runs (and here fails: no issuer to reach)
    due = subprocess.run(
        [PYTHON, *flags, "-c", probe, str(target)],
        env={"HOME": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert due.stdout == ""
    if how == "console script":
        assert "tomlkit" in due.stderr.splitlines()[-1]
    else:  # the launcher hands over to a whole Python (site-packages included), which says what went wrong
        assert due.returncode != 0 and "Traceback" not in due.stderr and "Rigetti QCS" in due.stderr, due.stderr


def test_plain_reader_agrees_with_tomllib_or_steps_aside() -> None:
    """The fast path reads our own layout line by line; whatever it is not sure of goes to tomllib."""
    plain = textwrap.dedent(
        """
        # a comment
        default_profile_name = "lab"   # trailing comment
        [ profiles . lab ]
        credentials_name = 'lab-creds'
        api_url = "https://api.example/#x"
        [credentials.lab-creds.externally_managed]
        command = "/venv/bin/jupyter-qcred"
        args = ["token", "qcs", '--profile', "lab"]
        timeout_seconds = 120
        [credentials.jupyter_qcred-lab-creds.token_payload]
        access_token = "a.b.c"
        updated_at = "2026-11-30T05:01:22.507422Z"
        """
    )

    def strings(table: dict[str, Any]) -> dict[str, Any]:
        return {k: strings(v) if isinstance(v, dict) else v for k, v in table.items() if isinstance(v, dict | str)}

    assert strings(fasttoken._plain_toml(plain) or {}) == strings(tomllib.loads(plain))
    for other in ('a = """x"""', '"quoted" = "k"', "a.b = 1", "x = {a = 1}", "[[t]]", 's = "a\\"b"', "a = [\n1]"):
        assert fasttoken._plain_toml(other) is None, other
