"""A hand-over keeps what the person chose (core/choices.py, core/handover.py), checked on the files a user has.

issue 23: after removing ``legacy`` and making ``mine`` the default, Re-initialize put ``legacy`` back and the
default back. Here the same steps go through the service (as the panel, the widget and ``%qcred`` do), and the
credential files are read afterwards: removed stays removed unless the hand-over's entry is new, the default stays.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core import handover
from jupyter_qcred.core.bundle import Bundle, parse_bundle
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.service import CredentialService
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.demo.world import demo_bundle, sandbox_environment
from jupyter_qcred.providers import create_providers
from jupyter_qcred.sandbox.client import Sandbox

pytestmark = pytest.mark.slow


def handed_over(sandbox: Sandbox, secret_scanner: Any) -> Bundle:
    """alice's IBM accounts as the hub hands them over: the default one and a second one, ``legacy``."""
    raw = demo_bundle(sandbox, clouds=("ibm",))
    secret_scanner.add_bundle(raw)
    platform = parse_bundle(raw).ibm[0]
    return Bundle(ibm=(platform, dataclasses.replace(platform, name="legacy", default=False)))


def accounts(home: Path) -> dict[str, Any]:
    """qiskit-ibm.json as qiskit-ibm-runtime reads it."""
    return dict(json.loads((home / ".qiskit" / "qiskit-ibm.json").read_text()))


def default_of(home: Path) -> list[str]:
    return [name for name, account in accounts(home).items() if account.get("is_default_account")]


def test_reinitialize_keeps_removals_and_the_chosen_default(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    handed: dict[str, Bundle] = {"now": handed_over(sandbox, secret_scanner)}
    settings = Settings.from_environment({"HOME": str(tmp_path), **sandbox_environment(sandbox)})
    service = CredentialService(
        CredentialManager(create_providers(settings, ("ibm",))), spawn_bundle=lambda: handed["now"]
    )
    # The server's start: the spawn bundle written (and recorded).
    service.write_files(handed["now"], "bundle", keep_defaults=True)
    assert set(accounts(tmp_path)) == {"default-ibm-quantum-platform", "legacy"}

    # The person adds "mine", makes it the default and removes "legacy".
    platform = handed["now"].ibm[0]
    mine = {"token": platform.token, "instance": platform.instance, "name": "mine", "url": platform.url}
    added = asyncio.run(service.add_token("ibm", {**mine, "channel": platform.channel}))
    assert added["result"]["outcome"] == "ok", added["result"]["message"]
    asyncio.run(service.set_default("ibm", "mine"))
    asyncio.run(service.remove("ibm", "legacy"))
    assert default_of(tmp_path) == ["mine"] and "legacy" not in accounts(tmp_path)

    answer = asyncio.run(handover.reinitialize(service, "bundle"))
    assert "legacy" not in accounts(tmp_path), "removed stays removed"
    assert default_of(tmp_path) == ["mine"], "the chosen default stays"
    message = answer["result"]["message"]
    assert message.endswith("IBM Quantum: 'legacy' stays removed; 'mine' stays the default."), message
    assert answer["result"]["kept"]["still_removed"] == [{"provider": "ibm", "name": "legacy"}]
    secret_scanner.saw("reinitialize answer", json.dumps(answer))

    # A restart writes the spawn bundle again: still as the person left it.
    service.write_files(handed["now"], "bundle", keep_defaults=True)
    assert "legacy" not in accounts(tmp_path) and default_of(tmp_path) == ["mine"]

    # The hand-over brings a new entry, and a legacy entry that changed since the removal: both arrive.
    (platform, legacy) = handed["now"].ibm
    team = dataclasses.replace(platform, name="team", default=False)
    changed = dataclasses.replace(legacy, instance=platform.instance + "-moved")
    handed["now"] = Bundle(ibm=(platform, changed, team))
    answer = asyncio.run(handover.reinitialize(service, "bundle"))
    assert {"team", "legacy", "mine", "default-ibm-quantum-platform"} <= set(accounts(tmp_path))
    assert default_of(tmp_path) == ["mine"]
    assert answer["result"]["message"].endswith("IBM Quantum: 'legacy' added; 'team' added; 'mine' stays the default.")

    record = tmp_path / ".local" / "state" / "jupyter_qcred" / "handed_over.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    secret_scanner.saw("handed_over.json", record.read_text())  # fingerprints, never a key


def test_a_default_the_hand_over_set_follows_the_hand_over(
    tmp_path: Path, sandbox: Sandbox, secret_scanner: Any
) -> None:
    """Not a choice of the person: when the hub names another default, the next Re-initialize applies it."""
    handed: dict[str, Bundle] = {"now": handed_over(sandbox, secret_scanner)}
    settings = Settings.from_environment({"HOME": str(tmp_path), **sandbox_environment(sandbox)})
    service = CredentialService(
        CredentialManager(create_providers(settings, ("ibm",))), spawn_bundle=lambda: handed["now"]
    )
    asyncio.run(handover.reinitialize(service, "bundle"))
    assert default_of(tmp_path) == ["default-ibm-quantum-platform"]
    platform, legacy = handed["now"].ibm
    moved = (dataclasses.replace(platform, default=False), dataclasses.replace(legacy, default=True))
    handed["now"] = Bundle(ibm=moved)
    answer = asyncio.run(handover.reinitialize(service, "bundle"))
    assert default_of(tmp_path) == ["legacy"]
    assert "stays the default" not in answer["result"]["message"]
