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


#: Where a person gets a credentials file to upload again, for the upload dialog's sentences.
DOWNLOAD_HINTS = {
    "ibm": "download it again from IBM Quantum (a qiskit-ibm.json saved by QiskitRuntimeService.save_account, or a "
    "qiskitrc)",
    "qcs": "download it again from the QCS tokens page (secrets.toml or settings.toml)",
}
