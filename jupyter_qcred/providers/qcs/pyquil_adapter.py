"""The pyquil 4 adapter: plain ``QCSClient.load()`` asks jupyter_qcred's token command for a handed-off profile.

pyquil 4.22 (qcs-sdk-python 0.20–0.21, 0.21.22 checked) gets every client from ``qcs_sdk.client.QCSClient.load()``
(``list_quantum_computers``, ``get_qc``, the QPU, the compiler, the QVM, the wavefunction simulator) and its bundled
client crate, qcs-api-client-common 0.12.8, reads only ``token_payload`` from ``secrets.toml``. Under the hand-off
(:mod:`.handoff`) that is an access-token copy without a refresh token, so once the copy is past its expiry every
call fails with "No refresh token is configured within the selected QCS credential": after a laptop slept, in a
script run while no server runs, or with a ``QuantumComputer`` older than one token. The crate has no setting or
file key that makes it run a command; its one extension point is an ``ExternallyManaged`` refresh function given in
code. So :func:`adapt` (run by :mod:`jupyter_qcred.core.importhook` right after ``qcs_sdk`` is imported) replaces
the one attribute every call site goes through, ``QCSClient.load`` (``qcs_sdk.QCSClient``, ``qcs_sdk.client.QCSClient``
and pyquil's imports are the same pyo3 type, which accepts a new attribute but refuses subclasses).

The new ``load`` calls the original first (URL resolution, environment overrides, profile errors and the anonymous
fallback stay the crate's), then reads the two files the way 0.12.8 does (:func:`handoff_plan`). Only when the
profile's credential carries an ``externally_managed`` table running jupyter_qcred's ``token qcs`` does it return a
client of its own (:func:`.sdkclient.client_with_refresh`): the same URLs and auth server, the copy as the first
token when it is not due, and a refresh function running the command exactly as written in the file
(:class:`TokenCommand`). Anything else (plain tokens, client credentials, another program's command, a file it
cannot read, a profile it resolves differently from the crate) returns the original client untouched.

Tokens and the 60 s leeway: 0.12.8 validates its cached token with ``leeway = 60``, which in ``jsonwebtoken`` means
a token is still accepted until 60 s *after* its ``exp``; the crate calls the refresh function only once that has
passed (or after a 401 on a REST call, which it answers with one refresh and a retry). It therefore never throws a
token away early; the exposure is the other way round: a client held across an expiry sends the expired token for
up to 60 s, as it does with its own refresh token. The command hands out a stored token only while it is not due
(:func:`jupyter_qcred.core.margin.margin_seconds`: 20 % of the lifetime, at least 300 s, at most half of it: 720 s
for QCS's 1 h tokens, and at least 60 s for every lifetime of 120 s or more), and the copy seeds the session only
on the same condition. Asking with force instead would make every process refresh (the opposite of one refresh for
all) and the command has no such option, so it does not.

At exit: qcs-sdk-python 0.21.22 aborts some short scripts at interpreter exit the way qcs-api-client-common 0.27
does (a tokio thread taking the GIL during finalization, CPython gh-87135; measured with and without this adapter),
so adapting also registers :func:`.exitguard.wait_at_exit` (0.2 s at exit).

Imports: the standard library and :mod:`jupyter_qcred.core.adapters`; no SDK and nothing heavy at import time.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ...core.adapters import SdkAdapter
from .tokencommand import runs_token_command

ADAPTER = SdkAdapter(
    name="pyquil",
    sdk="pyquil 4",
    distribution="qcs-sdk-python",
    supported=("0.20.", "0.21."),
    does=(
        "pyquil's QCSClient.load() (get_qc, list_quantum_computers, ...) gets new access tokens from jupyter_qcred's "
        "token command, so pyquil keeps working after the token in secrets.toml expired and every process shares one "
        "refresh; a pyquil process also waits 0.2 s at exit, so qcs-sdk-python cannot abort it (CPython gh-87135)."
    ),
)

#: What qcs_sdk.client must offer (checked before anything changes).
NEEDED = ("QCSClient", "ExternallyManaged", "OAuthSession", "AuthServer")
DEFAULT = "default"
#: The crate 0.12.8's environment variables and file names (``path.rs``, ``settings.rs``, ``secrets.rs``).
SETTINGS_VAR, SECRETS_VAR, PROFILE_VAR = "QCS_SETTINGS_FILE_PATH", "QCS_SECRETS_FILE_PATH", "QCS_PROFILE_NAME"
#: As :data:`.handoff.TIMEOUT_SECONDS`, for a table without ``timeout_seconds``.
DEFAULT_TIMEOUT = 120


class TokenCommandError(RuntimeError):
    """The token command gave no token; the message names the file and what to do (never a token)."""


@dataclass(frozen=True)
class TokenCommand:
    """The ``externally_managed`` command of one credential, run the way qcs-api-client-common 0.27 runs it:
    no shell, this process's environment, ``timeout_seconds``, the trimmed stdout is the token."""

    command: str
    args: tuple[str, ...]
    timeout: float
    profile: str
    secrets_path: Path

    def __call__(self, _auth_server: Any = None) -> str:
        """A valid access token (the crate passes its ``AuthServer``, which the command does not need)."""
        where = f"the token command of QCS profile {self.profile!r} (written in {self.secrets_path})"
        advice = (
            f"`jupyter qcred status` says what is wrong and `jupyter qcred token qcs --profile={self.profile}` "
            "tries again."
        )
        try:
            done = subprocess.run(
                [self.command, *self.args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TokenCommandError(f"{where} gave no token within {self.timeout:g} s; {advice}") from None
        except OSError as exc:
            raise TokenCommandError(
                f"{where} could not be started ({type(exc).__name__}: {exc.strerror or exc}); the environment "
                f"jupyter_qcred was installed in may have moved: run `jupyter qcred init` there. {advice}"
            ) from None
        token = done.stdout.strip()
        if done.returncode != 0 or not token or any(char.isspace() for char in token):
            said = _last_line(done.stderr)
            raise TokenCommandError(f"{where} failed (exit {done.returncode}){': ' + said if said else ''}; {advice}")
        return token


def _last_line(text: str, limit: int = 300) -> str:
    """The command's last stderr line (our CLI's sentence), with anything shaped like a JWT masked."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    import re

    return re.sub(r"[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}", "[token]", lines[-1])[:limit]


@dataclass(frozen=True)
class HandoffPlan:
    """What :func:`handoff_plan` found for a handed-off profile."""

    profile: str
    credential: str
    command: TokenCommand
    #: The access-token copy beside the command (None when missing).
    copy: str | None
    #: ``[auth_servers.NAME]`` of settings.toml (None when the file has no such table: the crate's default).
    auth_server: tuple[str, str] | None


def _toml(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def _path(variable: str, name: str, environ: Mapping[str, str]) -> Path | None:
    """``expand_path_from_env_or_default`` of the crate: the variable with ``$VAR``/``${VAR}`` expanded from
    ``environ`` (None when one is unset: the crate refuses that path), or ``~/.qcs/NAME``."""
    value = environ.get(variable)
    if value is None:
        return Path(environ.get("HOME") or os.path.expanduser("~")) / ".qcs" / name
    if "$" not in value:
        return Path(value)
    import re

    unset: list[str] = []

    def expand(match: re.Match[str]) -> str:
        key = match.group(1) or match.group(2)
        if key not in environ:
            unset.append(key)
        return environ.get(key, "")

    expanded = re.sub(r"\$(?:\{(\w+)\}|(\w+))", expand, value)
    return None if unset else Path(expanded)


def handoff_plan(profile_name: str | None, environ: Mapping[str, str]) -> HandoffPlan | None:
    """The hand-off of the profile ``QCSClient.load(profile_name)`` loads, read like qcs-api-client-common 0.12.8
    (``ClientConfiguration::new``): ``profile_name``, else ``QCS_PROFILE_NAME``, else ``default_profile_name``; its
    ``credentials_name`` and ``auth_server_name`` (both ``default`` when absent). None unless that credential has a
    well-formed ``externally_managed`` table running jupyter_qcred's token command."""
    settings_path = _path(SETTINGS_VAR, "settings.toml", environ)
    secrets_path = _path(SECRETS_VAR, "secrets.toml", environ)
    if settings_path is None or secrets_path is None:
        return None
    settings, secrets = _toml(settings_path), _toml(secrets_path)
    if settings is None or secrets is None:
        return None
    name = profile_name
    if name is None:  # the crate's ``or_else(env::var(..).ok()).unwrap_or(..)``: an empty variable counts
        name = environ.get(PROFILE_VAR)
    if name is None:
        name = settings.get("default_profile_name", DEFAULT)
    profiles = settings.get("profiles", {DEFAULT: {}})
    profile = profiles.get(name) if isinstance(profiles, dict) and isinstance(name, str) else None
    credentials = secrets.get("credentials")
    if not isinstance(profile, dict) or not isinstance(credentials, dict):
        return None
    credential_name = profile.get("credentials_name", DEFAULT)
    entry = credentials.get(credential_name) if isinstance(credential_name, str) else None
    table = entry.get("externally_managed") if isinstance(entry, dict) else None
    if not isinstance(table, dict):
        return None
    command, args, timeout = table.get("command"), table.get("args", []), table.get("timeout_seconds", DEFAULT_TIMEOUT)
    if not isinstance(command, str) or not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or timeout <= 0
        or not runs_token_command(command, args)
    ):
        return None
    payload = entry.get("token_payload") if isinstance(entry, dict) else None
    copy = payload.get("access_token") if isinstance(payload, dict) else None
    servers = settings.get("auth_servers")
    server_name = profile.get("auth_server_name", DEFAULT)
    server = servers.get(server_name) if isinstance(servers, dict) and isinstance(server_name, str) else None
    auth_server = None
    if isinstance(server, dict):
        auth_server = (str(server.get("client_id")), str(server.get("issuer")))
    return HandoffPlan(
        profile=name,
        credential=credential_name,
        command=TokenCommand(command, tuple(args), float(timeout), name, secrets_path),
        copy=copy if isinstance(copy, str) and copy else None,
        auth_server=auth_server,
    )


def fresh(token: str | None, now: float | None = None) -> bool:
    """Whether ``token`` is not due by the token command's own rule (:mod:`.fasttoken`), so it may seed the
    session: then it has more than the margin left (at least 60 s for every lifetime of 120 s or more)."""
    if not token:
        return False
    from ...core.margin import margin_seconds
    from ..shared.claims import jwt_claims

    claims = jwt_claims(token)
    if isinstance(claims, str):
        return False
    expires, issued = claims.get("exp"), claims.get("iat")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return False
    lifetime = expires - issued if isinstance(issued, int | float) and not isinstance(issued, bool) else 3600.0
    return (time.time() if now is None else now) < expires - margin_seconds(lifetime)


def adapted_load(original: Callable[..., Any]) -> Callable[..., Any]:
    """``QCSClient.load`` with the hand-off: the original's client, or ours for a handed-off profile."""

    def load(profile_name: str | None = None) -> Any:
        loaded = original(profile_name)
        try:
            plan = handoff_plan(profile_name, os.environ)
            if plan is None:
                return loaded
            session = loaded.oauth_session  # ValueError: the crate fell back to an anonymous client
            server = session.auth_server
            if plan.auth_server is not None and plan.auth_server != (server.client_id, server.issuer):
                return loaded  # the crate resolved another profile than we did: stay out
            if plan.copy is not None and _session_token(session) != plan.copy:
                return loaded
            from .sdkclient import client_with_refresh

            seed = plan.copy if fresh(plan.copy) else None
            return client_with_refresh(loaded, plan.command, server.client_id, server.issuer, seed)
        except Exception:  # never worse than the SDK alone
            return loaded

    load.__wrapped__ = original  # type: ignore[attr-defined]
    load.__doc__ = getattr(original, "__doc__", None)
    return load


def _session_token(session: Any) -> str | None:
    try:
        token = session.access_token
    except ValueError:
        return None
    return token if isinstance(token, str) else None


def adapt(module: ModuleType) -> str | None:
    """Replace ``QCSClient.load`` of the just-imported ``qcs_sdk``; a sentence (and no change) when the version or
    the attributes are not the ones checked."""
    refusal = ADAPTER.refusal()
    if refusal is not None:
        return refusal
    from importlib import import_module

    client = import_module(f"{module.__name__}.client")
    missing = [name for name in NEEDED if not hasattr(client, name)]
    load = getattr(getattr(client, "QCSClient", None), "load", None)
    if missing or not callable(load):
        what = ", ".join(missing) or "QCSClient.load"
        return f"stayed out: qcs_sdk.client has no {what} (a qcs-sdk-python it was not checked with)"
    if getattr(load, "__wrapped__", None) is not None:
        return None  # adapted already
    try:
        client.QCSClient.load = staticmethod(adapted_load(load))
    except (TypeError, AttributeError) as exc:
        return f"stayed out: QCSClient.load cannot be replaced ({exc})"
    from .exitguard import wait_at_exit

    wait_at_exit()
    return None
