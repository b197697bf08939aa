"""The providers jupyter_qcred knows: their keys (API, CLI, bundle) and the names people see.

A leaf module, so that anything (errors, views) can name a provider without importing one.
"""

from __future__ import annotations

PROVIDER_KEYS = ("ibm", "qcs")
#: The names people see, in every view (panel, widget, magic, CLI, messages).
PROVIDER_TITLES = {"ibm": "IBM Quantum", "qcs": "Rigetti QCS"}


def title(key: str) -> str:
    """The provider's name for people (the key itself for one we do not know)."""
    return PROVIDER_TITLES.get(key, key)
