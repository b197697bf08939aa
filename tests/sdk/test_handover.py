"""Background work keeps what the user chose: a hand-over from the hub (core/handover.py) and the hub's scheduled pull
keep the user's default and never replace a file the user broke; the real qiskit-ibm-runtime then uses the key the
user chose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import private_home
from support.private_home import manager, runtime_default, sha

from jupyter_qcred.core.bundle import parse_bundle
from jupyter_qcred.core.errors import FileFormatError
from jupyter_qcred.demo.world import demo_bundle

pytestmark = pytest.mark.timeout(120)

# alice's credentials in a private HOME this process points at (tests/support/private_home.py).
home = private_home.home


@pytest.mark.slow
def test_a_background_hand_over_keeps_the_chosen_default_and_a_file_the_user_broke(
    home: Path, sandbox, secret_scanner
) -> None:
    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    chosen = {"name": "carol", "channel": "ibm_quantum_platform", "token": carol["apikey"]}
    chosen.update(instance=carol["instances"][0], url=sandbox.runtime_url)
    first = manager(home)
    first.materialize(parse_bundle({"version": 1, "ibm": [chosen]}), source="user")
    first.providers["ibm"].set_default("carol")

    # The hub hands the same accounts over again, marking its own default: the user's choice stays.
    handed = parse_bundle(demo_bundle(sandbox))
    again = manager(home)
    again.materialize(handed, source="hub", keep_defaults=True)
    assert again.snapshot()["defaults"]["ibm"] == "carol"
    assert runtime_default(home, sandbox) == sha(carol["apikey"])
    # Only an explicit re-initialization applies the hand-over's default.
    again.materialize(handed, source="hub", reinit=True)
    assert again.snapshot()["defaults"]["ibm"] == "default-ibm-quantum-platform"

    # A file the user edited into something that does not parse is never replaced by background work.
    accounts = home / ".qiskit/qiskit-ibm.json"
    accounts.write_text('{"mine": {"channel": "ibm_cloud", "token": "abc"')
    with pytest.raises(FileFormatError):
        again.materialize(handed, source="hub", keep_defaults=True)
    assert accounts.read_text() == '{"mine": {"channel": "ibm_cloud", "token": "abc"'
    assert not list(accounts.parent.glob("qiskit-ibm.json.*")), "no backup: nothing was replaced"


async def test_the_hubs_scheduled_pull_keeps_the_chosen_default_and_a_file_the_user_broke(
    home: Path, sandbox, secret_scanner
) -> None:
    """The pull the manager makes for credentials only the hub refreshes (``CredentialService.pull_from_hub``, what
    the server wires to its manager) writes like a background hand-over: the user's default stays, and a file they
    broke is neither replaced nor backed up."""
    from jupyter_qcred.core.service import CredentialService

    carol = sandbox.add_ibm_user("carol")
    secret_scanner.add_secrets(carol["apikey"], carol["legacy_token"])
    chosen = {"name": "carol", "channel": "ibm_quantum_platform", "token": carol["apikey"]}
    chosen.update(instance=carol["instances"][0], url=sandbox.runtime_url)
    mine = manager(home)
    mine.materialize(parse_bundle({"version": 1, "ibm": [chosen]}), source="user")
    mine.providers["ibm"].set_default("carol")
    handed = parse_bundle(demo_bundle(sandbox))
    pulls: list[int] = []

    async def hub_pull() -> Any:
        pulls.append(1)
        return handed

    service = CredentialService(mine, hub_pull=hub_pull)
    written = await service.pull_from_hub()
    assert pulls == [1] and "ibm:default-ibm-quantum-platform" in written
    assert mine.snapshot()["defaults"]["ibm"] == "carol"

    accounts = home / ".qiskit/qiskit-ibm.json"
    accounts.write_text('{"mine": {"channel": "ibm_cloud", "token": "abc"')
    with pytest.raises(FileFormatError):
        await service.pull_from_hub()
    assert accounts.read_text() == '{"mine": {"channel": "ibm_cloud", "token": "abc"'
    assert not list(accounts.parent.glob("qiskit-ibm.json.*")), "no backup: nothing was replaced"
