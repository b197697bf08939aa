"""jupyter_qcred.server.exports: what the server hands its kernels and terminals follows the exporting providers."""

from __future__ import annotations

from typing import Any

from jupyter_qcred.server.exports import ChildEnvironment


class Exporting:
    """A provider that exports one variable and counts how often its files were read."""

    key = "ionq"

    def __init__(self) -> None:
        self.value: str | None = "first-key-value"
        self.reads = 0

    def exported_environment(self) -> list[tuple[tuple[str, ...], str, str | None]]:
        self.reads += 1
        return [((), "IONQ_API_KEY", self.value)]


class Silent:
    key = "qcs"


def event(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"type": "status", "status": {"providers": list(entries)}, "change": None}


def test_only_a_change_of_an_exporting_provider_reads_its_files() -> None:
    provider, target = Exporting(), dict[str, str]()
    children = ChildEnvironment([provider, Silent()], original={}, target=target)
    ionq = {"provider": "ionq", "name": "default", "state": "ok", "fingerprint": "aaaa"}
    children.on_status(event(ionq, {"provider": "qcs", "name": "default", "state": "ok"}))
    assert target == {"IONQ_API_KEY": "first-key-value"} and provider.reads == 1

    # A QCS refresh (its expiry moves) changes nothing IonQ exports: no read.
    children.on_status(event(ionq, {"provider": "qcs", "name": "default", "state": "refreshing"}))
    assert provider.reads == 1

    # The key changed on disk: the manager's entry (its fingerprint) changes, and the new key is exported.
    provider.value = "second-key-value"
    children.on_status(event({**ionq, "fingerprint": "bbbb"}))
    assert target == {"IONQ_API_KEY": "second-key-value"} and provider.reads == 2

    provider.value = None
    children.on_status(event())
    assert target == {} and provider.reads == 3


def test_nothing_is_exported_again_after_the_server_took_it_back() -> None:
    """A status event that arrives while the server stops (a refresh finishing, the manager stopping) must not put
    back into the process's environment what the server's stop just withdrew: the next server, or the next test in
    the same process, would inherit a key."""
    provider = Exporting()
    target: dict[str, str] = {}
    exports = ChildEnvironment([provider], {}, target)
    exports.apply()
    assert target == {"IONQ_API_KEY": "first-key-value"}
    exports.withdraw()
    provider.value = "second-key-value"
    exports.on_status(event({"provider": "ionq", "name": "default", "state": "ok", "fingerprint": "b"}))
    assert exports.apply() == []
    assert target == {}
