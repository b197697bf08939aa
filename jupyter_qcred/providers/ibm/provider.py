"""IBM Quantum: :class:`IbmProvider`, and the names the rest of the package imports from here.

Two SDKs read credentials from ``~/.qiskit``: the legacy qiskit-ibmq-provider (``qiskitrc``, hub/group/project,
an API token traded for an access token) and qiskit-ibm-runtime (``qiskit-ibm.json``, named accounts of the
``ibm_quantum_platform`` and ``ibm_cloud`` channels, an API key traded for an IAM JWT). The provider shows one
status per account across both files, checks each account with its provider, and writes both files losslessly
(atomic, locked, 0600). Access tokens obtained by checks stay in this process's memory: the SDKs get their own.

The provider is a chain of classes, each adding one job to the one before: :mod:`.reading` (both files merged into
accounts, and their statuses), :mod:`.checking` (the check and refresh with IAM or the legacy auth API),
:mod:`.writing` (bundle accounts and the default into both files) and :mod:`.importing` (uploaded files, the
environment). The formats and protocols they use live in :mod:`.credentials` (the seed API), :mod:`.qiskitrc`,
:mod:`.accounts_json` and :mod:`.auth`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ...core.errors import QCredError
from ...core.validation import Fields
from .changing import IbmChanging
from .credentials import QX_AUTH_URL, Credentials, HubGroupProject, InvalidHubGroupProjectError
from .reading import IbmAccount
from .spec import parse_entry

if TYPE_CHECKING:
    from ...core.secrets import Secret, TokenFormat

__all__ = [
    "QX_AUTH_URL",
    "Credentials",
    "HubGroupProject",
    "IbmAccount",
    "IbmProvider",
    "InvalidHubGroupProjectError",
]


class IbmProvider(IbmChanging):
    """IBM Quantum accounts of both SDKs (see the module docstring)."""

    key: ClassVar[str] = "ibm"
    title: ClassVar[str] = "IBM Quantum"
    noun: ClassVar[str] = "account"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload")
    download_hint: ClassVar[str] = (
        "download it again from IBM Quantum (a qiskit-ibm.json saved by QiskitRuntimeService.save_account, or a "
        "qiskitrc)"
    )
    order: ClassVar[int] = 10
    parse_entry = staticmethod(parse_entry)

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """The account a person typed (API key or legacy token, channel, instance, name), validated by the same
        rules as a spawn bundle's accounts."""
        token = (data.get("token") or "").strip()
        if not token:
            raise QCredError("Paste your IBM Quantum API key (or legacy API token) into the 'token' field.")
        entry: dict[str, Any] = {"token": token}
        entry.update({key: data[key] for key in ("name", "channel", "instance", "url") if data.get(key)})
        if entry.get("channel") == "ibm_quantum" and "instance" in entry:
            parts = entry.pop("instance").split("/")
            if len(parts) != 3 or not all(parts):
                raise QCredError("For channel ibm_quantum the instance is hub/group/project.")
            entry.update(zip(("hub", "group", "project"), parts, strict=True))
        return [parse_entry(Fields("the account you entered", "ibm[0]", entry))]

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
