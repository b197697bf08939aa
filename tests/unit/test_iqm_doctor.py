"""How ``doctor`` reads iqm-client's answer (``providers/iqm/doctor.py``): made-up answers of the probe, compared
with the token the panel shows (the probe itself runs the real iqm-client in tests/sdk/test_iqm.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_qcred.core.doctor import Context, sha
from jupyter_qcred.providers.iqm.doctor import compare_answer

TOKEN = "tok-" + "0123456789abcdef"
ENTRY = {"provider": "iqm", "name": "default", "state": "ok", "default": True, "token_hint": "…cdef"}


def answer(token: str | None, **extra: Any) -> dict[str, Any]:
    return {"source": "IQM_TOKEN", "file": None, "url": "https://resonance.iqm.tech", **extra} | (
        {"hint": f"…{token[-4:]}", "sha": sha(token)} if token else {"hint": None, "sha": None}
    )


def compare(result: dict[str, Any], entries: list[dict[str, Any]], tmp_path: Path) -> Any:
    stored = lambda: (sha(TOKEN), "…cdef", str(tmp_path / ".iqm" / "tokens.json"))  # noqa: E731
    (finding,) = compare_answer(result, Context(entries, tmp_path, {}, tmp_path), stored)
    return finding


def test_the_same_token_is_ok_another_differs_and_none_is_told(tmp_path: Path) -> None:
    same = compare(answer(TOKEN), [ENTRY], tmp_path)
    assert same.state == "ok" and "IQM_TOKEN from the environment" in same.message
    other = compare(answer("tok-" + "9999999999990000"), [ENTRY], tmp_path)
    assert other.state == "differs" and "…0000" in other.message and other.fix and "Unset IQM_TOKEN" in other.fix
    missing = compare(answer(None, source=None), [ENTRY], tmp_path)
    assert missing.state == "differs" and "finds no token" in missing.message
    assert compare(answer(None, source=None), [], tmp_path).state == "none"


def test_iqm_client_refusing_its_configuration_is_named_with_the_fix(tmp_path: Path) -> None:
    both = answer(None, refused="ClientConfigurationError", sentence="No more than one authentication parameter")
    finding = compare(both, [ENTRY], tmp_path)
    assert finding.state == "differs" and "ClientConfigurationError" in finding.message
    assert finding.fix and "only one of IQM_TOKEN and IQM_TOKENS_FILE" in finding.fix
    expired = compare(
        answer(None, source="IQM_TOKENS_FILE", refused="ClientAuthenticationError", sentence="has expired"),
        [ENTRY],
        tmp_path,
    )
    assert expired.fix and "jupyter qcred refresh iqm" in expired.fix
