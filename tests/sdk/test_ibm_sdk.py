"""Which IBM channels count as supported (providers/ibm/sdk.py): what the installed qiskit-ibm-runtime itself validates,
read from its source in both layouts."""

from __future__ import annotations

import ast

import pytest

from jupyter_qcred.providers.ibm.sdk import channels_in, runtime_channels

pytestmark = pytest.mark.timeout(120)


def test_supported_channels_are_what_the_installed_sdk_validates() -> None:
    from qiskit_ibm_runtime.accounts import Account

    accepted = set()
    for channel in ("ibm_quantum_platform", "ibm_cloud", "ibm_quantum"):
        try:
            Account.create_account(channel=channel, token="t" * 20).validate()
        except Exception:
            continue
        accepted.add(channel)
    assert runtime_channels() == accepted


def test_channels_are_read_from_both_source_layouts() -> None:
    old = 'ChannelType = Optional[\n    Literal[\n        "ibm_quantum_platform",\n        "ibm_cloud",\n'
    old += '        "ibm_quantum",\n        "local",\n    ]\n]\n'
    new = 'ChannelType: TypeAlias = Literal["ibm_quantum_platform", "ibm_cloud", "local"] | None\n'
    assert channels_in(ast.parse(old)) == {"ibm_quantum_platform", "ibm_cloud", "ibm_quantum"}
    assert channels_in(ast.parse(new)) == {"ibm_quantum_platform", "ibm_cloud"}
    assert channels_in(ast.parse("X = 1\n")) is None
