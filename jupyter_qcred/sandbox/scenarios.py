"""Scenarios a person trying the demo can switch on: situations the demo does not start in, because its first
screen must be all green (issue 23), but that every view must show well.

A scenario changes what the sandbox's secret store hands out (``GET /_sandbox/credentials`` names the scenarios
that are on, and the demo's bundle and the demo hub's login hook read them). Switch one on at start
(``jupyter qcred demo --scenario legacy``, ``python -m jupyter_qcred.sandbox --scenario legacy``) or while the
sandbox runs (``POST /_sandbox/scenarios`` with ``{"name": "legacy", "on": true}``); a demo hub user gets it at
their next login, the running lab demo writes it into alice's files within seconds (``demo.lab.ScenarioFollower``).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Every scenario, with the sentence ``--help`` and ``GET /_sandbox/scenarios`` show.
SCENARIOS: dict[str, str] = {
    "legacy": (
        "each user also gets a legacy IBM Quantum account 'legacy' (channel ibm_quantum, an API token with "
        "hubs/groups/projects), which the installed qiskit-ibm-runtime may no longer load: every view then shows "
        "it as unsupported and action needed"
    ),
}


class ScenarioError(ValueError):
    """A scenario name the sandbox does not know."""


def checked(names: Iterable[str]) -> list[str]:
    """``names`` without repeats, in order; raises ScenarioError naming the known ones for an unknown name."""
    found: list[str] = []
    for name in names:
        if name not in SCENARIOS:
            raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}")
        if name not in found:
            found.append(name)
    return found


def help_text() -> str:
    """One line per scenario, for ``--help``."""
    return "; ".join(f"{name}: {sentence}" for name, sentence in SCENARIOS.items())
