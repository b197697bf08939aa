"""What ``doctor`` asks qnexus: the Nexus URL and token files its configuration resolves to, and its adapter.

qnexus 0.51 builds its settings with pydantic-settings (``qnexus.config.CONFIG``: ``NEXUS_*`` variables, then the
file ``NEXUS_CONFIG_FILE`` or ``~/.qnexus/config``) and reads its tokens from ``~/<token_path>`` (``.qnx/auth``;
``managed_token_path`` for the access token when ``NEXUS_MANAGED_TOKENS`` is set) once per process. The probe imports
qnexus as a kernel does (so its adapter, if active, is installed), reads the refresh token through qnexus's own
``read_token`` and reports the URL, the folder, the token's fingerprint and ``importhook.report()``.
"""

from __future__ import annotations

from typing import Any

from ...core.doctor import Context, Finding, Probe

CODE = r"""
try:
    from qnexus.config import CONFIG
    import qnexus.client.utils as _u
    try:
        import qnexus  # the adapter's trigger: installed as in a kernel
    except Exception:
        pass
    folder = str(_u._token_dir("refresh_token"))
    try:
        refresh = _u.read_token("refresh_token")
    except Exception:
        refresh = None
    try:
        from jupyter_qcred.core import importhook
        adapter = importhook.report().get("qnexus")
    except Exception:
        adapter = None
    _out(dict(url=CONFIG.url, folder=folder, adapter=adapter, **_fp(refresh)))
except Exception as exc:
    _out({"error": type(exc).__name__})
"""


def probe(provider: object = None) -> Probe:
    """The probe (the provider is not needed: the comparison uses the status entries alone)."""
    return Probe(provider="nexus", sdk="qnexus", distribution="qnexus", code=CODE, compare=compare, module="qnexus")


def compare(result: dict[str, Any], context: Context) -> list[Finding]:
    """qnexus's URL, token folder and refresh token against the login the panel shows."""
    entry = context.default_entry()
    folder = context.shown(result.get("folder"))
    finding = Finding(
        provider="nexus",
        sdk="qnexus",
        state="ok",
        uses=f"the login in {folder} for {result.get('url')}",
        message="",
        credential="login" if result.get("hint") else None,
        where=folder,
        fingerprint=result.get("hint"),
        panel=(entry or {}).get("token_hint"),
        details={"url": result.get("url"), "adapter": result.get("adapter")},
    )
    if entry is None:
        finding.state = "none" if not result.get("hint") else "ok"
        finding.message = (
            "qnexus finds no login, and the panel shows none."
            if not result.get("hint")
            else f"qnexus uses a login in {folder} that jupyter_qcred does not manage."
        )
        return [finding]
    panel_url = (entry.get("account") or {}).get("url")
    if panel_url and result.get("url") != panel_url:
        finding.state = "differs"
        finding.message = f"qnexus talks to {result.get('url')}, not {panel_url} where the panel's login belongs."
        finding.fix = "Make NEXUS_DOMAIN/NEXUS_PROTOCOL/NEXUS_PORT in that environment agree with ~/.qnexus/config."
        return [finding]
    if result.get("hint") != finding.panel:
        finding.state = "differs"
        finding.message = (
            f"qnexus reads the login in {folder} ({result.get('hint') or 'none'}), not the one the panel shows "
            f"({finding.panel})."
        )
        finding.fix = "Unset NEXUS_TOKEN_PATH in that environment, or sign in again from the panel."
        return [finding]
    adapter = result.get("adapter")
    how = " through jupyter_qcred's adapter" if adapter == "active" else f" (adapter: {adapter or 'not registered'})"
    finding.message = f"qnexus uses the login the panel shows ({finding.panel}){how}."
    return [finding]
