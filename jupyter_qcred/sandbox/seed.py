"""Seed data: the two demo people every test and the demo can rely on.

``alice`` and ``bob`` each have a QCS identity with two groups and balances, an IBM platform API key with a CRN
instance, and a legacy API token with two hub/group/project triples (one default).  Secrets are random per run;
the admin API (``GET /_sandbox/credentials``) hands them out to whoever sets up a test or the demo.
"""

from __future__ import annotations

from .ionq_api import issue_key
from .plugins import stand_ins
from .state import OAuthClient, SandboxState
from .tokens import opaque

QCS_PEOPLE = {
    "alice": {
        "email": "alice@example.org",
        "first_name": "Alice",
        "last_name": "Liddell",
        "organization": "Wonderland Labs",
        "balance": 125000,
    },
    "bob": {
        "email": "bob@example.org",
        "first_name": "Bob",
        "last_name": "Marley",
        "organization": "Trenchtown Quantum",
        "balance": 42000,
    },
}

QCS_GROUPS = [
    ("wonderland-lab", "Rabbit-hole research group", ["alice"], 500000),
    ("tea-party", "Shared allocation of the mad tea party", ["alice", "bob"], 90000),
    ("trenchtown", "Bob's lab", ["bob"], 300000),
]

SERVICE_CLIENT_ID = "sandbox-service-alice"


def seed_demo(state: SandboxState) -> None:
    """Populate ``state`` with the demo people."""
    for username, profile in QCS_PEOPLE.items():
        state.ensure_qcs_user(username, **profile)
    for name, description, members, balance in QCS_GROUPS:
        state.add_qcs_group(name, description, members, balance)
    state.clients[SERVICE_CLIENT_ID] = OAuthClient(SERVICE_CLIENT_ID, secret=opaque("sbxcs_", 24), service_user="alice")
    for username in QCS_PEOPLE:
        state.add_ibm_user(username)
        state.seed_keys.setdefault("ionq", {})[username] = issue_key(state, username)
        for stand_in in stand_ins():
            stand_in.seed(state, username)
