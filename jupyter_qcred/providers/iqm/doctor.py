"""What ``doctor`` asks iqm-client: which token its own ``TokenManager`` would send, from where, and to which server.

iqm-client 36 (``iqm.station_control.client.authentication.TokenManager``, built by every ``IQMServerClient``) takes
``IQM_TOKEN`` or ``IQM_TOKENS_FILE`` from the environment, refuses both at once (``ClientConfigurationError``) and,
for a tokens file, refuses an access token that is not a JWT or has expired (``ClientAuthenticationError``). The probe
builds that ``TokenManager`` in the environment the kernels get and asks it for the ``Authorization`` header, so every
one of those answers is the SDK's own; it reports the source, the server URL and the token's fingerprint, never the
token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.doctor import Context, Finding, Probe, sha
from ...core.states import mask

if TYPE_CHECKING:
    from .provider import IqmProvider

CODE = r"""
try:
    from iqm.station_control.client.authentication import TokenManager
    source = next((name for name in ("IQM_TOKEN", "IQM_TOKENS_FILE") if os.environ.get(name)), None)
    found = dict(source=source, file=os.environ.get("IQM_TOKENS_FILE"), url=os.environ.get("IQM_SERVER_URL"),
                 quantum_computer=os.environ.get("IQM_QUANTUM_COMPUTER"))
    try:
        callback = TokenManager().get_auth_header_callback()
        header = callback() if callback else None
        token = header.split(" ", 1)[1] if header and " " in header else None
        _out(dict(found, **_fp(token)))
    except Exception as exc:
        # The SDK's own refusal: its class, and its sentence when it cannot hold a token (file path, JSON error).
        text = str(exc) if type(exc).__name__ in ("ClientConfigurationError", "ClientAuthenticationError") else ""
        _out(dict(found, refused=type(exc).__name__, sentence=text[:300], hint=None, sha=None))
except Exception as exc:
    _out({"error": type(exc).__name__})
"""


def probe(provider: IqmProvider) -> Probe:
    def stored() -> tuple[str | None, str | None, str]:
        try:
            document = provider.store.read()
        except Exception:  # a file we cannot read: compare with the hint alone
            return None, None, str(provider.path)
        token = document.sent_token
        return sha(token), mask(token), str(provider.path)

    def compare(result: dict[str, Any], context: Context) -> list[Finding]:
        return compare_answer(result, context, stored)

    return Probe(provider="iqm", sdk="iqm-client", distribution="iqm-client", code=CODE, compare=compare, module="iqm")


def compare_answer(result: dict[str, Any], context: Context, stored: Any) -> list[Finding]:
    """One finding: the token iqm-client sends, and whether it is the one the panel shows."""
    panel_sha, panel_hint, path = stored()
    entry = context.default_entry()
    source, error = result.get("source"), result.get("refused")
    where = context.shown(result.get("file")) if source == "IQM_TOKENS_FILE" else None
    uses = {
        "IQM_TOKEN": "IQM_TOKEN from the environment",
        "IQM_TOKENS_FILE": f"the tokens file {where}",
    }.get(str(source), "no token")
    finding = Finding(
        provider="iqm",
        sdk="iqm-client",
        state="ok",
        uses=uses,
        message="",
        credential="default" if result.get("hint") else None,
        where=where,
        variable=source,
        fingerprint=result.get("hint"),
        panel=panel_hint,
        details={"url": result.get("url"), "quantum_computer": result.get("quantum_computer"), "refused": error},
    )
    if error:
        finding.state = "differs" if entry is not None else "none"
        finding.message = f"iqm-client refuses its configuration: {error}: {result.get('sentence') or ''}".strip()
        finding.fix = (
            "Set only one of IQM_TOKEN and IQM_TOKENS_FILE (the Jupyter server exports one of them)."
            if error == "ClientConfigurationError"
            else f"Refresh the IQM token from the panel (jupyter qcred refresh iqm), or paste a new one ({path})."
        )
        return [finding]
    if not result.get("hint"):
        finding.state = "differs" if entry is not None else "none"
        finding.message = "iqm-client finds no token" + (
            f", while the panel shows one ({panel_hint})." if entry is not None else ", and the panel shows none."
        )
        if entry is not None:
            finding.fix = "Open the notebook from the Jupyter server (it exports IQM_TOKENS_FILE or IQM_TOKEN)."
        return [finding]
    if panel_sha is not None and result.get("sha") == panel_sha:
        finding.message = f"iqm-client sends {uses} ({result.get('hint')}), the token the panel shows."
        return [finding]
    finding.state = "differs"
    finding.message = (
        f"iqm-client sends {uses} ({result.get('hint')}), not the token the panel shows ({panel_hint or 'none'})."
    )
    finding.fix = f"Unset {source} in that environment, or paste that token into the panel."
    return [finding]
