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

from typing import ClassVar

from ..registry import PROVIDER_TITLES
from .changing import IbmChanging
from .credentials import QX_AUTH_URL, Credentials, HubGroupProject, InvalidHubGroupProjectError
from .reading import IbmAccount

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
    title: ClassVar[str] = PROVIDER_TITLES["ibm"]
