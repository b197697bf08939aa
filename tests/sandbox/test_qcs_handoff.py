"""The QCS token hand-off against the sandbox: with QCS_SECRETS_READ_ONLY the secrets file is never written, the held
token is used until it is due."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.helpers import SecretScanner
from support.qcs import provider
from support.qcs_handoff import write

from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.core.states import State
from jupyter_qcred.sandbox.client import Sandbox


async def test_read_only_secrets_are_never_written(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: SecretScanner
) -> None:
    writer = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "", QCRED_QCS_HANDOFF="files")
    tokens = write(writer, sandbox, -100)
    secret_scanner.add_secrets(tokens)
    before = writer.secrets_path.read_bytes()
    qcs = provider(tmp_path, SSL_CERT_FILE=sandbox.ca_file or "", QCS_SECRETS_READ_ONLY="True")
    with pytest.raises(QCredError, match=r"QCS_SECRETS_READ_ONLY is set.*nothing was written"):
        write(qcs, sandbox, 3600)
    with pytest.raises(QCredError, match="QCS_SECRETS_READ_ONLY"):
        qcs.adopt()
    status = await qcs.refresh("default")
    assert status.state is State.OK, status.error
    assert writer.secrets_path.read_bytes() == before, "secrets.toml untouched"
    assert "QCS_SECRETS_READ_ONLY is set" in status.account["secrets_read_only"]
    assert "goes stale" in status.account["secrets_read_only"]
    held = await qcs.token("default")
    secret_scanner.add_secrets(held)
    assert held != tokens["access_token"]
    assert status.token_hint == "…" + held[-4:]
    assert len(sandbox.token_requests()) == 1, "the held token is used until it is due"
