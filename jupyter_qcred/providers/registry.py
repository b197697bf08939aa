"""The providers jupyter_qcred knows: their keys (API, CLI, bundle) and the names people see.

A leaf module, so that anything (errors, views) can name a provider without importing one.
"""

from __future__ import annotations

PROVIDER_KEYS = ("ibm", "qcs", "ionq", "braket", "nexus")
#: The names people see, in every view (panel, widget, magic, CLI, messages).
PROVIDER_TITLES = {
    "ibm": "IBM Quantum",
    "qcs": "Rigetti QCS",
    "ionq": "IonQ",
    "braket": "Amazon Braket",
    "nexus": "Quantinuum Nexus",
}
#: What one credential of each provider is called (views say "profile default", "account default-ibm-cloud").
PROVIDER_NOUNS = {"ibm": "account", "qcs": "profile", "ionq": "key", "braket": "profile", "nexus": "login"}
#: How each provider's credential is re-initialized by hand: "token" (paste), "upload" (a file), "login" (device).
PROVIDER_METHODS = {
    "ibm": ("token", "upload"),
    "qcs": ("token", "upload", "login"),
    "ionq": ("token", "upload"),
    "braket": (),
    "nexus": ("token", "upload", "login"),
}


def provider_info(key: str) -> dict[str, object]:
    """What views need to show a provider without knowing it (status JSON ``provider_info``)."""
    return {
        "title": title(key),
        "noun": PROVIDER_NOUNS.get(key, "credential"),
        "methods": list(PROVIDER_METHODS.get(key, ())),
    }


def title(key: str) -> str:
    """The provider's name for people (the key itself for one we do not know)."""
    return PROVIDER_TITLES.get(key, key)


#: Where a person gets a credentials file to upload again, for the upload dialog's sentences.
DOWNLOAD_HINTS = {
    "ibm": "download it again from IBM Quantum (a qiskit-ibm.json saved by QiskitRuntimeService.save_account, or a "
    "qiskitrc)",
    "qcs": "download it again from the QCS tokens page (secrets.toml or settings.toml)",
    "ionq": "create a key at cloud.ionq.com (API Keys) and upload a .env file with the line IONQ_API_KEY=<key>",
    "nexus": "take ~/.qnx/auth/token.json from a machine where qnexus is logged in (qnx.auth.login())",
}
