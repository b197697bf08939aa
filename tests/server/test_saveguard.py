"""The save guard on a real Jupyter server: notebooks and files saved through the contents API keep no credential."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.helpers import async_wait_until

from jupyter_qcred.server.observability import schema_id

pytestmark = pytest.mark.timeout(120)

IBM_NAME = "default-ibm-quantum-platform"
CALL = f"jupyter_qcred.credential('ibm', {IBM_NAME!r}, kind='API key')"
#: What the admin's own ContentsManager.pre_save_hook saw (it must still run, before ours).
ADMIN_SAW: list[str] = []


def admin_hook(model: dict[str, Any], path: str, contents_manager: Any, **kwargs: Any) -> None:
    """An admin's hook (like nbstripout's): records the path and marks the notebook."""
    ADMIN_SAW.append(path)
    if model.get("type") == "notebook":
        model["content"]["metadata"]["admin_hook"] = True


@pytest.fixture
def jp_root_dir(jp_home_dir: Path) -> Path:
    """JupyterLab's root is the home folder (as on a hub): the SDKs' files are there for the file browser too."""
    return jp_home_dir


@pytest.fixture
def guard_mode() -> str:
    return "redact"


@pytest.fixture
def jp_server_config(bundle: dict[str, Any], guard_mode: str) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_qcred": True}},
        "ContentsManager": {"pre_save_hook": admin_hook, "allow_hidden": True},  # ~/.qiskit in the file browser
        "QCredApp": {"watch_interval": 0.1, "save_guard": guard_mode},
    }


def ibm_key(bundle: dict[str, Any]) -> str:
    return str(next(entry["token"] for entry in bundle["ibm"] if entry["name"] == IBM_NAME))


def leaky_notebook(token: str) -> dict[str, Any]:
    """A token pasted into code, written in markdown, and printed in every kind of output."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "widgets": {  # a text box's saved widget state
                "application/vnd.jupyter.widget-state+json": {
                    "version_major": 2,
                    "version_minor": 0,
                    "state": {"a1": {"model_name": "TextModel", "state": {"value": token}}},
                }
            },
        },
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "execution_count": 1,
                "source": f'from qiskit_ibm_runtime import QiskitRuntimeService\n\ntoken = "{token}"  # mine\n',
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": f"token is {token}\n"},
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": f"'{token}'", "text/html": f"<b>{token}</b>"},
                    },
                    {
                        "output_type": "error",
                        "ename": "ValueError",
                        "evalue": f"bad token {token}",
                        "traceback": ["Traceback", f"ValueError: bad token {token}"],
                    },
                ],
            },
            {"cell_type": "markdown", "id": "c2", "metadata": {}, "source": f"My key is {token}, keep it safe."},
        ],
    }


async def save(jp_fetch: Any, path: str, model: dict[str, Any]) -> Any:
    return await jp_fetch("api", "contents", path, method="PUT", body=json.dumps(model), raise_error=False)


def notebook_model(content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "notebook", "format": "json", "content": content}


@pytest.mark.slow  # about 2.5 s: the replaced code runs in a fresh Python
async def test_a_saved_notebook_holds_no_value_and_its_code_still_reads_the_key(
    jp_serverapp, jp_fetch, jp_root_dir, jp_home_dir, bundle, api, caplog, secret_scanner
) -> None:
    token = ibm_key(bundle)
    ADMIN_SAW.clear()
    response = await save(jp_fetch, "analysis.ipynb", notebook_model(leaky_notebook(token)))
    assert response.code in (200, 201), response.body

    text = (Path(jp_root_dir) / "analysis.ipynb").read_text()
    assert token not in text
    saved = json.loads(text)
    assert saved["metadata"]["admin_hook"] is True and ADMIN_SAW == ["analysis.ipynb"], "the admin's hook ran"
    code, markdown = saved["cells"]
    source = "".join(code["source"])
    assert source.startswith("import jupyter_qcred\n")
    assert f"token = {CALL}  # mine" in source
    label = f"‘{IBM_NAME}’ …{token[-4:]}>"
    assert label in "".join(markdown["source"])
    outputs = json.dumps(code["outputs"], ensure_ascii=False)
    assert outputs.count(label) == 4, outputs
    # In markup the label is escaped: a raw ``<…>`` would be read as a tag and vanish from the rendered output.
    html = "".join(code["outputs"][1]["data"]["text/html"])  # nbformat may split it into lines
    assert html.startswith("<b>&lt;") and html.endswith(f"‘{IBM_NAME}’ …{token[-4:]}&gt;</b>"), html
    widget = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]["a1"]
    assert widget["state"]["value"].endswith(label)

    # The replaced code reads the key from the SDK's files when it runs (the user's HOME, nothing else).
    program = source.replace("from qiskit_ibm_runtime import QiskitRuntimeService\n", "")
    program += "import sys\nsys.stdout.write(token)\n"
    env = {**os.environ, "HOME": str(jp_home_dir)}
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == token

    _, status = await api("status")
    notices = {(n["what"], n["where"]): n for n in status["redactions"]["ibm"]}
    assert notices[("source", "analysis.ipynb")]["notice"] == "2 keys kept out of the code of analysis.ipynb"
    assert notices[("output", "analysis.ipynb")]["count"] == 6, "5 outputs and the widget state"
    assert status["redactions"]["qcs"] == []
    assert token not in caplog.text
    assert not secret_scanner.leaks()


async def test_python_and_text_files(jp_serverapp, jp_fetch, jp_root_dir, bundle) -> None:
    token = ibm_key(bundle)
    script = {"type": "file", "format": "text", "content": f'"""Run me."""\nKEY = "{token}"\n'}
    assert (await save(jp_fetch, "run.py", script)).code in (200, 201)
    saved = (Path(jp_root_dir) / "run.py").read_text()
    assert saved == f'"""Run me."""\nimport jupyter_qcred\nKEY = {CALL}\n'
    notes = {"type": "file", "format": "text", "content": f"key: {token}\n"}
    assert (await save(jp_fetch, "notes.txt", notes)).code in (200, 201)
    label = f"<IBM Quantum API key ‘{IBM_NAME}’ …{token[-4:]}>"
    assert (Path(jp_root_dir) / "notes.txt").read_text() == f"key: {label}\n"
    # JupyterLab uploads every file as base64: a text file is read all the same, a binary one is left as it is.
    encoded = base64.b64encode(f"KEY={token}\n".encode()).decode()
    upload = {"type": "file", "format": "base64", "content": encoded}
    assert (await save(jp_fetch, "uploaded.env", upload)).code in (200, 201)
    assert (Path(jp_root_dir) / "uploaded.env").read_text() == f"KEY={label}\n"
    binary = b"\x89PNG\0" + token.encode()
    upload = {"type": "file", "format": "base64", "content": base64.b64encode(binary).decode()}
    assert (await save(jp_fetch, "image.png", upload)).code in (200, 201)
    assert (Path(jp_root_dir) / "image.png").read_bytes() == binary


async def test_the_sdk_file_itself_still_saves(jp_serverapp, jp_fetch, jp_root_dir, bundle) -> None:
    """Editing ~/.qiskit/qiskit-ibm.json in JupyterLab (root = the home folder here) saves it unchanged."""
    path = Path(jp_root_dir) / ".qiskit" / "qiskit-ibm.json"
    text = path.read_text()
    edited = text.replace("{", "{\n", 1)
    response = await save(jp_fetch, ".qiskit/qiskit-ibm.json", {"type": "file", "format": "text", "content": edited})
    assert response.code in (200, 201)
    assert path.read_text() == edited and ibm_key(bundle) in edited


@pytest.mark.parametrize("guard_mode", ["refuse"])
async def test_refuse_names_the_cell_and_not_the_value(
    jp_serverapp, jp_fetch, jp_root_dir, bundle, api, guard_mode
) -> None:
    token = ibm_key(bundle)
    response = await save(jp_fetch, "analysis.ipynb", notebook_model(leaky_notebook(token)))
    assert response.code == 400
    body = response.body.decode()
    assert token not in body
    message = json.loads(body)["message"]
    assert message.startswith(f"line 3 of cell 1 of analysis.ipynb holds <IBM Quantum API key ‘{IBM_NAME}’")
    assert "so it was not saved; remove it and read it with `import jupyter_qcred; " + CALL in message
    assert not (Path(jp_root_dir) / "analysis.ipynb").exists()
    _, status = await api("status")
    assert status["redactions"]["ibm"][0]["notice"].startswith("analysis.ipynb was not saved")


@pytest.mark.parametrize(("guard_mode", "notice"), [("warn", "left in the code of analysis.ipynb"), ("off", None)])
async def test_warn_and_off_save_as_is(jp_serverapp, jp_fetch, jp_root_dir, bundle, api, guard_mode, notice) -> None:
    token = ibm_key(bundle)
    response = await save(jp_fetch, "analysis.ipynb", notebook_model(leaky_notebook(token)))
    assert response.code in (200, 201)
    assert token in (Path(jp_root_dir) / "analysis.ipynb").read_text()
    _, status = await api("status")
    shown = [n["notice"] for n in status["redactions"]["ibm"]]
    assert any(notice in n for n in shown) if notice else shown == []


async def test_each_redaction_is_an_event_without_the_value(jp_serverapp, jp_fetch, bundle) -> None:
    app = next(iter(jp_serverapp.extension_manager.extension_apps["jupyter_qcred"]))
    event_logger = jp_serverapp.event_logger
    wanted = schema_id("secret_redacted")

    async def registered() -> bool:
        return app.observability is not None and wanted in event_logger.schemas.schema_ids

    await async_wait_until(registered, what="the secret_redacted schema")
    events: list[dict[str, Any]] = []

    async def listener(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        events.append(dict(data))

    event_logger.add_listener(schema_id=wanted, listener=listener)
    token = ibm_key(bundle)
    assert (await save(jp_fetch, "analysis.ipynb", notebook_model(leaky_notebook(token)))).code in (200, 201)

    async def both() -> bool:
        return len(events) >= 2

    await async_wait_until(both, what="two secret_redacted events")
    assert token not in json.dumps(events)
    assert {(e["what"], e["count"]) for e in events} == {("source", 2), ("output", 6)}
    assert all(e["provider"] == "ibm" and e["name"] == IBM_NAME and e["action"] == "redacted" for e in events)
    assert all(e["where"] == "analysis.ipynb" for e in events)
