"""The real qnexus, left alone (``JUPYTER_QCRED_SDK_ADAPTERS=off``: the way back), authenticates and refreshes through
the files jupyter_qcred writes, against the sandbox's stand-in of Nexus, in its normal and its managed-token mode. With
the adapter: tests/sdk/test_nexus_qnexus_adapter.py; the rest of the provider: tests/sandbox/test_nexus.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.nexus import bundle, environ, manager, nexus_log

from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow

PYTHON = sys.executable


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import qnexus as qnx
    names, end = set(), time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        names.add(qnx.users.get_self().display_name)
        time.sleep(0.25)
    print(json.dumps(sorted(names)))
    """
)


@pytest.mark.parametrize("managed", [False, True], ids=["files", "managed-tokens"])
@pytest.mark.timeout(180)
def test_qnexus_authenticates_and_refreshes_through_our_files(tmp_path: Path, managed: bool) -> None:
    """qnexus starts from the access token we wrote (4 s) and, each time it has expired, refreshes with the
    refresh token we wrote; with NEXUS_MANAGED_TOKENS we write the access token to ~/.qnx/managed_auth, qnexus reads
    and caches it there and leaves token.json alone."""
    pytest.importorskip("qnexus")
    with Sandbox(tls=False, access_token_lifetime=4) as sandbox:
        home = tmp_path / "home"
        extra = {"NEXUS_MANAGED_TOKENS": "1"} if managed else {}
        m = manager(home, env=extra, watch_interval=0.2, first_check_delay=0.0)
        m.materialize(bundle(sandbox, sandbox.nexus_tokens("alice")), source="bundle")
        token_json = home / ".qnx" / "auth" / "token.json"
        before = (token_json.read_text(), token_json.stat().st_mtime_ns)
        access = home / ".qnx" / ("managed_auth" if managed else "auth") / "id.json"
        assert access.exists() and (managed or not (home / ".qnx" / "managed_auth").exists())
        result = subprocess.run(
            [PYTHON, "-c", SDK_SCRIPT, "10"],
            env={**environ(home, **extra), "JUPYTER_QCRED_SDK_ADAPTERS": "off"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout) == ["Alice Liddell"]
        me = nexus_log(sandbox, "nexus_me")
        refreshes = nexus_log(sandbox, "nexus_refresh")
        assert sum(e["status"] == 200 for e in me) >= 20
        assert len([e for e in refreshes if e["status"] == 200]) >= 2, "qnexus refreshed across two expiries"
        assert all(e["status"] == 200 for e in refreshes), "every refresh with our refresh token succeeded"
        assert (token_json.read_text(), token_json.stat().st_mtime_ns) == before, "token.json is left alone"
        assert json.loads(access.read_text())["data"]["access_token"], "qnexus wrote its access token where we did"
