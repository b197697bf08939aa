"""Runs in the user's Jupyter server: the extension app whose traitlets are the settings (``app``), and the REST API
and push channel under ``{base_url}qcred/`` (``handlers``).

``QCredApp`` is importable from here, as before, without importing Jupyter Server until it is asked for.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "QCredApp":
        from .app import QCredApp

        return QCredApp
    raise AttributeError(name)
