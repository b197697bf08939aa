"""The server tier: every in-process server waits for jupyter_qcred's start-up (``qcred_started``, autouse here)."""

from __future__ import annotations

from support.server_fixtures import qcred_started  # noqa: F401 - autouse in this folder
