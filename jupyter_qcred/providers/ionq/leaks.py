"""IonQ's credential values for the leak guard (:mod:`jupyter_qcred.core.secrets`), and its public key format for
``jupyter qcred scan``.

Values: every IonQ key the ``.env`` file we keep holds (``QISKIT_IONQ_API_TOKEN``, ``IONQ_API_KEY``,
``IONQ_API_TOKEN``, read as python-dotenv reads them), and the same variables of the environment (the server hands
its kernels ``IONQ_API_KEY``).

Format: IonQ documents no shape for its keys and qiskit-ionq checks none, and a bare string of letters and digits
is also any identifier, so a key is recognised only by its context: the value of one of those variables
(``IONQ_API_KEY=…``, ``os.environ["IONQ_API_KEY"] = "…"``), an ``apiKey …`` header, or the token given to
``IonQProvider(…)``; and it must mix letters and digits, which placeholders (``your-api-key-here``) do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.secrets import Secret, TokenFormat
from .provider import KEY_VARIABLES
from .spec import KEY_NAME

if TYPE_CHECKING:
    from .provider import IonqProvider

_VARIABLES = "|".join(KEY_VARIABLES)
_KEY = r"(?P<token>[A-Za-z0-9_.-]{16,})(?![A-Za-z0-9_.-])"


def values(provider: IonqProvider) -> list[Secret]:
    """The keys of the ``.env`` file and of the environment."""
    found: list[Secret] = []
    document = provider._document()
    for variable in KEY_VARIABLES:
        key = document.get(variable)
        if key:
            found.append(Secret(key, provider.key, provider.title, KEY_NAME, "API key", str(provider.path)))
    for variable in KEY_VARIABLES:
        key = provider.settings.environ.get(variable)
        if key:
            found.append(Secret(key, provider.key, provider.title, variable, "API key", None))
    return found


def _random(token: str) -> bool:
    """Letters and digits both: a generated key, not a placeholder or a word."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


FORMATS: list[TokenFormat] = [
    TokenFormat(
        "ionq",
        "IonQ",
        "an IonQ API key",
        rf"""(?:\b(?:{_VARIABLES})["']?\]?\s*[:=]\s*["']?|\bapiKey\s+|\bIonQProvider\(\s*(?:token\s*=\s*)?["']){_KEY}""",
        _random,
    ),
]
