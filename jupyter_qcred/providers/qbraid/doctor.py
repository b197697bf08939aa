"""What ``doctor`` asks qbraid-core: the key, access token and URL a ``QbraidSessionV1()`` would use, and from where.

A session built with no arguments makes no request: its ``api_key`` (qbraidrc's ``api-key``, else
``QBRAID_API_KEY``), ``access_token`` (``access-token``, else ``QBRAID_ACCESS_TOKEN``; sent instead of the key) and
``base_url`` with its source (``QBRAID_API_URL``, the key's host, qbraidrc, the default) are exactly what every
qbraid call will use. The probe prints their fingerprints and sources; ``compare`` says whether that is the key the
views show. qbraid-core does not look at the working folder, so one answer serves every folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.doctor import Context, Finding, Probe, sha
from ...core.states import mask

if TYPE_CHECKING:
    from .provider import QbraidProvider

CODE = r"""
try:
    import logging
    logging.disable(logging.CRITICAL)
    from qbraid_core import config as _c
    from qbraid_core.sessions import QbraidSessionV1 as _S
    _session = _S()
    try:
        _options = dict(_c.load_config()["default"]) if _c.load_config().has_section("default") else {}
    except Exception:
        _options = {}
    _key_origin = None
    if _session.api_key:
        _key_origin = "file" if _options.get("api-key") == _session.api_key else "env"
    _token_origin = None
    if _session.access_token:
        _token_origin = "file" if _options.get("access-token") else "env"
    _out({"config": str(_c.USER_CONFIG_PATH), "key": _fp(_session.api_key), "key_origin": _key_origin,
          "token_origin": _token_origin, "url": (_session.base_url or "").rstrip("/"),
          "url_source": getattr(_session, "_base_url_source", None)})
except Exception as exc:
    _out({"error": type(exc).__name__})
"""


def probe(provider: QbraidProvider) -> Probe:
    """The qBraid probe; ``compare`` knows the key the views show (the provider's own resolution of qbraidrc)."""

    def stored() -> tuple[str | None, str | None, str | None]:
        try:
            found = provider._found()
        except Exception:  # a file we cannot read: compare with the hint alone
            return None, None, None
        return sha(found.key), mask(found.key), found.url

    def compare(result: dict[str, Any], context: Context) -> list[Finding]:
        return compare_answer(result, context, stored)

    return Probe(
        provider="qbraid", sdk="qbraid-core", distribution="qbraid-core", code=CODE, compare=compare, module="qbraid"
    )


def compare_answer(result: dict[str, Any], context: Context, stored: Any = None) -> list[Finding]:
    """One finding: the credential qbraid-core sends and whether the views show it."""
    return [_finding(result, context, stored)]


def _finding(result: dict[str, Any], context: Context, stored: Any) -> Finding:
    entry = context.default_entry()
    panel_sha, panel_hint, panel_url = stored() if stored is not None else (None, None, None)
    panel_hint = panel_hint or (entry or {}).get("token_hint")
    config = context.shown(result.get("config")) if result.get("config") else "~/.qbraid/qbraidrc"
    found = result.get("key") or {}
    origin, hint, url = result.get("key_origin"), found.get("hint"), result.get("url")
    uses = {"file": f"api-key in {config}", "env": "QBRAID_API_KEY from the environment"}.get(origin or "", "no key")
    base = Finding(
        provider="qbraid",
        sdk="qbraid-core",
        state="ok",
        uses=uses,
        message="",
        credential="default" if origin else None,
        where=config if origin == "file" else None,
        variable="QBRAID_API_KEY" if origin == "env" else "api-key" if origin else None,
        fingerprint=hint,
        panel=panel_hint,
        details={"url": url, "url_source": result.get("url_source"), "token_origin": result.get("token_origin")},
    )
    token = result.get("token_origin")
    if token:
        where = f"access-token in {config}" if token == "file" else "QBRAID_ACCESS_TOKEN"
        base.state = "differs"
        base.uses = where
        base.message = f"qbraid-core sends the access token ({where}) instead of any API key, the panel's included."
        base.fix = (
            f"Remove access-token from {config} (qBraid Lab writes one) to use the API key shown here."
            if token == "file"
            else "Unset QBRAID_ACCESS_TOKEN to use the API key shown here."
        )
        return base
    if origin is None:
        base.state = "differs" if panel_hint else "none"
        base.message = (
            f"qbraid-core finds no API key, while the panel shows one ({panel_hint})."
            if panel_hint
            else "qbraid-core finds no API key, and the panel shows none."
        )
        base.fix = f"Paste a key or set QBRAID_API_KEY (qbraid-core reads {config})." if panel_hint else None
        return base
    same = (panel_sha is not None and found.get("sha") == panel_sha) or (
        panel_sha is None and panel_hint is not None and hint == panel_hint
    )
    if not same:
        base.state = "differs"
        base.message = f"qbraid-core uses {uses} ({hint}), not the key shown here ({panel_hint or 'none'})."
        base.fix = (
            "Unset QBRAID_API_KEY or paste that key into the panel."
            if origin == "env"
            else f"qbraid-core reads {config}: point QBRAID_CONFIG_FILE at the file the panel shows, or paste the key."
        )
        return base
    if panel_url and url and panel_url.rstrip("/") != url:
        base.state = "differs"
        base.message = f"qbraid-core sends the key shown here ({hint}) to {url}, not to {panel_url} (checked there)."
        base.fix = "Unset QBRAID_API_URL or set url in qbraidrc to the API the key belongs to."
        return base
    base.message = f"qbraid-core uses {uses} ({hint}), the key the panel shows, with the API at {url}."
    return base
