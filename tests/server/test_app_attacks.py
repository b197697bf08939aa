"""Attack 1: one bad token in the spawn bundle, on a real Jupyter server.

Before: a lone surrogate (``"rt-\\ud800"``) passed validation, ``atomic_write`` raised ``UnicodeEncodeError`` that
start-up did not catch, so the extension failed to load, ``QCRED_BUNDLE`` stayed in the environment for every kernel,
and the server logged the exception's repr, which held the whole ``secrets.toml`` text. Now the bundle is refused
with a sentence naming the field, the variables are gone first thing, the server serves, and no log line holds a
secret. The same holds for any failure while writing (the second test makes the writer fail with a message that
carries a token).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.helpers import SecretScanner, async_wait_until
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def bundle(sandbox: Any, secret_scanner: SecretScanner, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """alice's bundle with one more QCS profile whose refresh token cannot be encoded."""
    data = demo_bundle(sandbox)
    secret_scanner.add_bundle(data)
    data["qcs"].append({"profile": "broken", "refresh_token": "rt-broken-profile-0001\ud800"})
    secret_scanner.add_secrets("rt-broken-profile-0001")
    monkeypatch.setenv("QCRED_BUNDLE", json.dumps(data))  # JSON escapes the surrogate: "\\ud800"
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    return data


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged so far, the server's start-up (a fixture: the setup phase) included."""
    records = [*caplog.get_records("setup"), *caplog.records]
    return "\n".join(record.getMessage() + (record.exc_text or "") for record in records)


async def test_a_token_that_cannot_be_encoded_is_refused_by_field_and_leaks_nothing(
    jp_serverapp: Any, api: Any, jp_home_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code, _status = await api("status")
    assert code == 200, "the extension loaded and serves"
    assert "QCRED_BUNDLE" not in os.environ and "QCRED_BUNDLE_FILE" not in os.environ
    assert "field 'qcs[1].refresh_token' holds text that is not valid Unicode" in log_text(caplog)
    assert "UnicodeEncodeError" not in log_text(caplog)
    assert not (Path(jp_home_dir) / ".qcs" / "secrets.toml").exists(), "a refused bundle writes nothing"
    # The secret scan (fixture) searches every log record and every answer for each token of the bundle.


async def test_any_failure_while_writing_at_start_keeps_secrets_out_of_the_log(
    sandbox: Any,
    secret_scanner: SecretScanner,
    monkeypatch: pytest.MonkeyPatch,
    jp_configurable_serverapp: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = demo_bundle(sandbox)
    secret_scanner.add_bundle(data)
    monkeypatch.setenv("QCRED_BUNDLE", json.dumps(data))
    for key, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(key, value)
    leaked = data["qcs"][0]["refresh_token"]

    def failing_materialize(self: Any, specs: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not write secrets.toml: [credentials.default]\nrefresh_token = {leaked!r}")

    monkeypatch.setattr(QcsProvider, "materialize", failing_materialize)
    app = jp_configurable_serverapp(
        config={"ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}}, "QCredApp": {"watch_interval": 0.1}}
    )
    assert "QCRED_BUNDLE" not in os.environ
    loaded = [name for name, ext in app.extension_manager.extensions.items() if ext.enabled and name == "jupyter_qcred"]
    assert loaded, "the extension loaded despite the failure"
    sentence = "could not write credentials from QCRED_BUNDLE: unexpected RuntimeError"

    async def logged() -> bool:  # the files are written in a worker thread the loop's first callback waits for
        return sentence in log_text(caplog)

    await async_wait_until(logged, timeout=30, what="the start-up failure in the log")
