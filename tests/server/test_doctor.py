"""``GET qcred/doctor?path=`` on a real Jupyter server: confined to the server's root, the same answer as the CLI; and
what the server hands its kernels (IonQ's key unless one was set, the adapters' switch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support.helpers import async_wait_until

from jupyter_qcred.core.importhook import ENV

pytestmark = pytest.mark.timeout(180)

STALE = "stale-project-ionq-key-in-root-9c9c"
CHILD_VARIABLES = (ENV, "IONQ_API_KEY", "IONQ_API_URL", "QISKIT_IONQ_API_TOKEN", "IONQ_API_TOKEN")


@pytest.fixture
def jp_server_config(bundle: dict[str, Any], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The extension, with the adapters switched off (or a key of the user's own) for the tests named so; the
    variables the server sets for its children are restored afterwards (recorded here, before the server starts)."""
    for name in CHILD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if "on_purpose" in request.node.name:
        monkeypatch.setenv("IONQ_API_TOKEN", "a-key-the-user-set-on-purpose")
    config: dict[str, Any] = {"watch_interval": 0.1}
    if "adapters_off" in request.node.name:
        config["sdk_adapters"] = False
    return {"ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}}, "QCredApp": config}


@pytest.mark.parametrize(
    "path",
    [
        "..",
        "../..",
        "proj/../..",
        "./..",
        "proj/nb/../../..",
        "../etc",
        "..\\..",
        "missing",
        "link-out",
        "file.txt",
    ],
)
async def test_the_path_is_a_folder_under_the_root(jp_serverapp, jp_root_dir, api, path: str) -> None:
    root = Path(jp_root_dir)
    (root / "proj" / "nb").mkdir(parents=True, exist_ok=True)
    (root / "file.txt").write_text("x")
    outside = root.parent / "outside-the-root"
    outside.mkdir(exist_ok=True)
    if not (root / "link-out").exists():
        (root / "link-out").symlink_to(outside)
    code, answer = await api("doctor", params={"path": path})
    assert code == 400, answer
    assert isinstance(answer, dict) and answer["message"]


async def test_only_get(jp_serverapp, api) -> None:
    code, _ = await api("doctor", method="POST", body={})
    assert code == 405


@pytest.mark.slow
async def test_a_folder_that_shadows_the_ionq_key(jp_serverapp, jp_root_dir, jp_home_dir, api, bundle, secret_scanner):
    """The panel's question: the server runs qiskit-ionq's own resolution in that folder, with its own environment
    (which kernels inherit), and names the file; the answer carries fingerprints only."""
    secret_scanner.add_secrets(STALE)
    root = Path(jp_root_dir)
    (root / "proj" / "nb").mkdir(parents=True)
    (root / "proj" / ".env").write_text(f"IONQ_API_KEY={STALE}\n")
    code, answer = await api("doctor", params={"path": "proj/nb"})
    assert code == 200, answer
    assert answer["path"] == str((root / "proj" / "nb").resolve())
    found = next(f for f in answer["sdks"] if f["provider"] == "ionq" and f["mode"] == "notebook")
    assert found["state"] == "differs" and found["variable"] == "IONQ_API_KEY"
    assert found["details"]["dotenv"] == str((root / "proj" / ".env").resolve())
    assert "which notebooks in this folder use instead of the key shown here" in found["message"]
    assert answer["ok"] is False and isinstance(answer["adapters"], list)
    # The same folder again within the TTL: the same answer, no new subprocesses.
    again = await api("doctor", params={"path": "proj/nb"})
    assert again == (200, answer)
    # The server's root itself: no .env up there (the tests' roots are not under a .env), so the key shown agrees.
    code, answer = await api("doctor", params={"path": ""})
    script = next(f for f in answer["sdks"] if f["provider"] == "ionq" and f["mode"] == "script")
    assert code == 200 and script["state"] == "ok", script  # the exported key reaches scripts


async def test_the_server_exports_the_ionq_key_for_its_children(jp_serverapp, bundle) -> None:
    key = bundle["ionq"][0]["key"]
    assert os.environ.get("IONQ_API_KEY") == key
    assert os.environ.get("IONQ_API_URL") == bundle["ionq"][0]["url"]
    assert ENV not in os.environ


async def test_the_key_follows_the_stored_one(jp_serverapp, jp_home_dir, api, bundle) -> None:
    code, _ = await api("remove", method="POST", body={"provider": "ionq", "name": "default"})
    assert code == 200

    async def gone() -> bool:
        return "IONQ_API_KEY" not in os.environ

    await async_wait_until(gone, timeout=10)


async def test_a_key_set_on_purpose_is_left_alone(jp_serverapp, bundle) -> None:
    assert "IONQ_API_KEY" not in os.environ
    assert os.environ["IONQ_API_TOKEN"] == "a-key-the-user-set-on-purpose"


async def test_adapters_off_reaches_children_and_the_status(jp_serverapp, api) -> None:
    assert os.environ.get(ENV) == "off"
    code, status = await api("status")
    assert code == 200
    installed = [a for a in status["adapters"] if a["state"] != "absent"]
    assert installed and all(a["state"] == "off" for a in installed)
