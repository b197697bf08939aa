"""What ``doctor`` asks qiskit-ibm-runtime: the account ``QiskitRuntimeService()`` would load, without the network.

qiskit-ibm-runtime 0.51 (``accounts.AccountManager.get``, what ``QiskitRuntimeService()`` calls with no argument)
takes, in order: ``QISKIT_IBM_TOKEN`` (with ``QISKIT_IBM_URL``/``QISKIT_IBM_INSTANCE``) from the environment; the
saved account marked ``is_default_account``; the default account of the channel in ``QISKIT_IBM_CHANNEL``; then the
default names (``default-ibm-quantum-platform``, ``default-ibm-cloud``). The probe calls that function and names the
saved account it returned (by comparing the account with the file's entries inside the probe). The SDK creates an
empty ``~/.qiskit/qiskit-ibm.json`` (0644) when it reads none: the probe removes what that read created, so asking
which credential the SDK uses leaves the home folder as it was.
"""

from __future__ import annotations

from typing import Any

from ...core.doctor import Context, Finding, Probe

CODE = r"""
try:
    import json
    from qiskit_ibm_runtime.accounts import AccountManager
    from qiskit_ibm_runtime.accounts import management as _m
    path = os.path.expanduser(_m._DEFAULT_ACCOUNT_CONFIG_JSON_FILE)
    folder, had_file = os.path.dirname(path), os.path.exists(path)
    had_folder = os.path.isdir(folder)
    try:
        account = AccountManager.get()
    except Exception as exc:
        _out({"origin": None, "file": path, "reason": type(exc).__name__})
    else:
        token = account.token
        origin, name = ("env", None) if os.getenv("QISKIT_IBM_TOKEN") else ("file", None)
        if origin == "file":
            try:
                with open(path, encoding="utf-8") as handle:
                    saved = json.load(handle)
            except Exception:
                saved = {}
            for key, value in saved.items():
                if isinstance(value, dict) and value.get("token") == token and value.get("channel") == account.channel:
                    name = key
                    break
        _out(dict(origin=origin, name=name, channel=account.channel, file=path,
                  channel_variable=os.getenv("QISKIT_IBM_CHANNEL"), **_fp(token)))
except Exception as exc:
    _out({"error": type(exc).__name__})
finally:
    try:
        if not had_file and os.path.getsize(path) <= 2:  # the SDK's own "{}"
            os.remove(path)
            if not had_folder:
                os.rmdir(folder)
    except (NameError, OSError):
        pass
"""


def probe(provider: object = None) -> Probe:
    """The probe (the provider is not needed: the comparison uses the status entries alone)."""
    return Probe(
        provider="ibm",
        sdk="qiskit-ibm-runtime",
        distribution="qiskit-ibm-runtime",
        code=CODE,
        compare=compare,
        module="qiskit_ibm_runtime",
    )


def compare(result: dict[str, Any], context: Context) -> list[Finding]:
    """The account ``QiskitRuntimeService()`` loads against the panel's default account (name and key hint)."""
    entry = context.default_entry()
    panel = (entry or {}).get("token_hint")
    panel_name = (entry or {}).get("name")
    finding = Finding(
        provider="ibm",
        sdk="qiskit-ibm-runtime",
        state="ok",
        uses="",
        message="",
        credential=result.get("name"),
        fingerprint=result.get("hint"),
        panel=panel,
        details={"channel": result.get("channel"), "origin": result.get("origin")},
    )
    origin = result.get("origin")
    if origin is None:
        finding.uses, finding.where = "no account", context.shown(result.get("file"))
        if entry is None:
            finding.state = "none"
            finding.message = "QiskitRuntimeService() finds no account, and the panel shows none."
        else:
            finding.state = "differs"
            finding.message = f"QiskitRuntimeService() finds no account, while the panel shows {panel_name!r}."
            finding.fix = "Check QISKIT_IBM_CHANNEL in your environment (it restricts which saved accounts count)."
        return finding_list(finding)
    if origin == "env":
        finding.uses, finding.variable = "QISKIT_IBM_TOKEN from the environment", "QISKIT_IBM_TOKEN"
        if entry is not None and finding.fingerprint == panel:
            finding.message = f"QiskitRuntimeService() uses QISKIT_IBM_TOKEN ({panel}), the key of {panel_name!r}."
        else:
            finding.state = "differs"
            finding.message = (
                f"QISKIT_IBM_TOKEN in the environment ({finding.fingerprint}) beats every saved account, so "
                f"QiskitRuntimeService() does not use {panel_name or 'the account shown here'!r} ({panel or 'none'})."
            )
            finding.fix = "Unset QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE, QISKIT_IBM_URL) or set it to this key."
        return finding_list(finding)
    name = result.get("name")
    finding.uses, finding.where = (
        f"account {name!r} in {context.shown(result.get('file'))}",
        context.shown(result.get("file")),
    )
    if entry is not None and name == panel_name and finding.fingerprint == panel:
        finding.message = f"QiskitRuntimeService() loads {name!r} ({panel}), the default the panel shows."
        return finding_list(finding)
    finding.state = "differs"
    channel = result.get("channel_variable")
    why = f" (QISKIT_IBM_CHANNEL={channel} chooses it)" if channel else ""
    finding.message = (
        f"QiskitRuntimeService() loads {name!r} ({finding.fingerprint}){why}, not the default the panel shows "
        f"({panel_name!r}, {panel or 'none'})."
    )
    finding.fix = f"Make {panel_name!r} the default again (`jupyter qcred` panel or `%qcred use ibm {panel_name}`)" + (
        ", or unset QISKIT_IBM_CHANNEL." if channel else "."
    )
    return finding_list(finding)


def finding_list(finding: Finding) -> list[Finding]:
    return [finding]
