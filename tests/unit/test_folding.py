"""What the ``%qcred`` widget folds and in what order (``jupyter_qcred.notebook.folding``), the same rules as the
panel's model/fold.ts: action first (the status JSON's ``action_needed``), then what is worth reading, then all well,
then not set up; an all-well provider is one line in plain words, every value escaped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from jupyter_qcred.notebook import folding

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def entry(provider: str, name: str | None, state: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"provider": provider, "name": name, "state": state, "expires_at": None, "action_needed": False, **extra}


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


EIGHT = {
    "defaults": {p: None for p in ("ibm", "qcs", "ionq", "braket", "nexus", "azure", "iqm", "qbraid")},
    "providers": [
        entry("ibm", "platform"),
        entry("qcs", "default", expires_at=at(47)),
        entry("ionq", "default", "needs_reinit", action_needed=True),
        entry("braket", "default", "error", retrying=True, expires_at=at(50)),
        entry("nexus", None, "absent"),
        entry("azure", "default", warnings=["The file can be read by others."]),
        entry("iqm", "lab", "unsupported", action_needed=True),
        entry("qbraid", "default", "expiring", expires_at=at(5)),
    ],
}


def test_action_first_then_worth_reading_then_well_then_not_set_up_stable_otherwise() -> None:
    assert folding.ordered(EIGHT) == [
        ("ionq", "action"),
        ("iqm", "action"),
        ("braket", "attention"),
        ("azure", "attention"),
        ("ibm", "ok"),
        ("qcs", "ok"),
        ("qbraid", "ok"),
        ("nexus", "none"),
    ]
    assert [folding.opens_by_itself(h) for _, h in folding.ordered(EIGHT)] == [True] * 4 + [False] * 4


def test_the_status_json_decides_action_not_the_state() -> None:
    calm_error = {"providers": [entry("x", "a", "error", action_needed=False)]}
    assert folding.health(calm_error, "x") == "ok"
    broken_file = {"providers": [entry("qcs", None, "error", action_needed=True)]}
    assert folding.health(broken_file, "qcs") == "action"
    assert folding.fold_line(broken_file, "qcs", "Rigetti QCS", "profile") == ["Rigetti QCS", "file cannot be read"]


def test_a_folded_line_says_title_names_state_and_soonest_expiry_in_plain_words() -> None:
    ionq = {"providers": [entry("ionq", "default")]}
    assert folding.fold_line(ionq, "ionq", "IonQ", "key", NOW) == ["IonQ", "key default", "OK", "never expires"]
    assert folding.fold_line(EIGHT, "qcs", "Rigetti QCS", "profile", NOW)[3] == "expires in 47 min"
    assert folding.fold_line(EIGHT, "qbraid", "qBraid", "key", NOW)[2] == "expiring"
    two = {"providers": [entry("ibm", "b", expires_at=at(180)), entry("ibm", "a", expires_at=at(3000))]}
    assert folding.fold_line(two, "ibm", "IBM Quantum", "account", NOW) == [
        "IBM Quantum",
        "accounts a, b",
        "OK",
        "expires in 3 h",
    ]
    three = {"providers": [entry("ibm", n) for n in "abc"]}
    assert folding.fold_line(three, "ibm", "IBM Quantum", "account", NOW)[1] == "3 accounts"
    assert folding.fold_line(EIGHT, "nexus", "Quantinuum Nexus", "login", NOW) == ["Quantinuum Nexus", "not set up"]
    assert folding.soonest_expiry([entry("x", "a", expires_at=at(-3))], NOW) == "expired 3 min ago"


def test_the_folded_line_escapes_every_value() -> None:
    hostile = {"providers": [entry("toy", "<img src=x onerror=alert(1)>")]}
    line = folding.render_fold_line(hostile, "toy", "<b>Toy</b>", "token")
    assert "<img" not in line and "&lt;img src=x onerror=alert(1)&gt;" in line
    assert "<b>&lt;b&gt;Toy&lt;/b&gt;</b>" in line and "data-health='ok'" in line
