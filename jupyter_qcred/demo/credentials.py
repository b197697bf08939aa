"""Keys a person can paste into the demo's Add… dialog: another sandbox user's, from the running demo's sandbox.

``jupyter qcred demo --credentials [--user NAME]`` prints them on request, to the terminal only. The demo's own start
message says where they are and never holds a secret (its output may well end up in a log), and nothing here
prints the demo user's own tokens: alice's are in her files already, the keys shown are bob's by default.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..core.errors import QCredError
from ..sandbox.client import Sandbox
from ..sandbox.scenarios import SCENARIOS
from .world import find_running

#: Whose keys ``--credentials`` prints unless ``--user`` says: the sandbox user who is not the lab demo's.
OTHER_USER = "bob"


def paste_hint(sandbox: Sandbox, command: str, user: str | None) -> str:
    """What the demo prints at start about keys to paste and scenarios (no secret in it)."""
    on = sandbox.scenarios()
    others = [name for name in SCENARIOS if name not in on]
    if user:
        whose = f"{user} is signed in; these are {OTHER_USER}'s sandbox keys"
    else:
        whose = f"{OTHER_USER}'s sandbox keys, for alice; logged in as {OTHER_USER}, add --user alice"
    lines = [
        f"A valid key to paste in Add… ({whose}): `{command} --credentials` prints them, or GET "
        f"{sandbox.admin_url}/credentials (every sandbox user's).",
        "Scenarios on: "
        + (", ".join(on) or "none (all green)")
        + "."
        + (
            f" Others: {', '.join(others)} (`{command} --scenario NAME` at start, or POST "
            f'{{"name": NAME, "on": true}} to {sandbox.admin_url}/scenarios while it runs).'
            if others
            else ""
        ),
    ]
    return "\n".join(lines)


def _admin(admin_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if not admin_url.startswith("http://127.0.0.1:"):
        raise QCredError(f"the running demo published an unexpected sandbox address {admin_url!r}; restart the demo.")
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL, checked above
        f"{admin_url}/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - see above
            return json.loads(answer.read())
    except (OSError, ValueError) as exc:
        raise QCredError(f"the demo sandbox at {admin_url} did not answer ({exc}); is the demo running?") from None


def paste_values(
    hub: bool | None = None, user: str = OTHER_USER, root: Path | None = None
) -> dict[str, dict[str, str]]:
    """``user``'s paste-able values per provider title, from the running demo's sandbox (a fresh QCS login)."""
    folder, record = find_running(hub, root)
    admin_url = record.get("sandbox_admin")
    if not isinstance(admin_url, str):
        raise QCredError(f"the demo running from {folder} published no sandbox address; restart it to get keys.")
    info = json.loads((folder / "sandbox" / "sandbox.json").read_text())
    store = _admin(admin_url, "GET", "credentials")
    ibm = store.get("ibm", {}).get(user)
    if ibm is None:
        known = ", ".join(sorted(store.get("ibm", {})))
        raise QCredError(f"the sandbox has no user {user!r}; its users are {known}.")
    qcs = _admin(admin_url, "POST", "qcs/issue", {"user": user})
    values: dict[str, dict[str, str]] = {
        "IBM Quantum": {"API key": ibm["apikey"], "instance": ibm["instance"], "URL": info["runtime_url"]},
        "Rigetti QCS": {"refresh token": qcs["refresh_token"]},
    }
    ionq = store.get("ionq", {}).get(user)
    if ionq:
        values["IonQ"] = {"API key": ionq}
    values.update(_stand_in_values(store, user))
    return values


def _stand_in_values(store: dict[str, Any], user: str) -> dict[str, dict[str, str]]:
    """The keys the stand-ins beside their providers seeded for ``user`` (``seed_keys``: a value, or label: value)."""
    from ..core import registry
    from ..sandbox.plugins import stand_ins

    values: dict[str, dict[str, str]] = {}
    for stand_in in stand_ins():
        seeded = store.get(stand_in.key, {}).get(user)
        if isinstance(seeded, str):
            values[registry.title(stand_in.key)] = {registry.noun(stand_in.key): seeded}
        elif isinstance(seeded, dict):
            values[registry.title(stand_in.key)] = {str(label): str(value) for label, value in seeded.items()}
    return values


def format_values(values: dict[str, dict[str, str]], user: str) -> str:
    """The values as a person reads them: one block per provider."""
    lines = [
        f"# {user}'s sandbox keys, to paste in the demo's Add… dialog (sandbox secrets: they die with the demo).",
    ]
    for title, fields in values.items():
        lines.append(f"{title}:")
        lines.extend(f"  {label}: {value}" for label, value in fields.items())
    return "\n".join(lines)
