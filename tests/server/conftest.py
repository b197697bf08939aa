"""In-process servers (pytest-jupyter's ``jp_serverapp``) start jupyter_qcred's start-up thread at once and wait for
it, as a kernel, a terminal or the qcred API would: a test then finds the files the spawn bundle wrote."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def qcred_started(request: pytest.FixtureRequest) -> None:
    if "jp_serverapp" not in request.fixturenames:
        return
    serverapp: Any = request.getfixturevalue("jp_serverapp")
    for app in serverapp.extension_manager.extension_apps.get("jupyter_qcred", ()):
        app.begin_startup()
        app.credentials.result(timeout=120)
