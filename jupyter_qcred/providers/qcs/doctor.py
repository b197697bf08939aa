"""What ``doctor`` asks the QCS SDKs: which profile and credential they load, and whether pyquil's adapter acts.

Both clients pick the profile the same way: ``QCS_PROFILE_NAME``, else ``default_profile_name`` of the settings file
(``QCS_SETTINGS_FILE_PATH``, default ``~/.qcs/settings.toml``), and the profile's ``credentials_name`` in the secrets
file (``QCS_SECRETS_FILE_PATH``). qcs-api-client-common 0.27 is asked with ``ClientConfiguration.load_default()``
(which reads the files and fetches nothing). pyquil 4 (qcs-sdk-python 0.21, whose bundled client reads only
``token_payload`` tables) gets its tokens through jupyter_qcred's adapter when the hand-off is on: the probe imports
``qcs_sdk`` and reports whether ``QCSClient.load`` is the adapter's (``importhook.report()``), because without it a
pyquil process fails once the access-token copy expires and no server renews it.
"""

from __future__ import annotations

from typing import Any

from ...core.doctor import Context, Finding, Probe

CODE = r"""
try:
    import importlib.util, tomllib
    from importlib.metadata import version as _version
    settings_path = os.path.expanduser(os.getenv("QCS_SETTINGS_FILE_PATH") or "~/.qcs/settings.toml")
    secrets_path = os.path.expanduser(os.getenv("QCS_SECRETS_FILE_PATH") or "~/.qcs/secrets.toml")
    def _toml(path):
        try:
            with open(path, "rb") as handle:
                return tomllib.load(handle)
        except FileNotFoundError:
            return {}
    settings, secrets = _toml(settings_path), _toml(secrets_path)
    profile = os.getenv("QCS_PROFILE_NAME") or settings.get("default_profile_name") or "default"
    credential = ((settings.get("profiles") or {}).get(profile) or {}).get("credentials_name")
    stored = ((secrets.get("credentials") or {}).get(credential) or {}) if credential else {}
    kinds = sorted(key for key in stored if isinstance(stored.get(key), dict))
    result = dict(profile=profile, profile_variable=os.getenv("QCS_PROFILE_NAME"), credential=credential,
                  kinds=kinds, settings=settings_path)
    if importlib.util.find_spec("qcs_api_client_common") is not None:
        try:
            from qcs_api_client_common.configuration import ClientConfiguration
            ClientConfiguration.load_default()
            result["common"] = {"version": _version("qcs-api-client-common"), "loaded": True}
        except Exception as exc:
            result["common"] = {"version": _version("qcs-api-client-common"), "loaded": False,
                                "reason": type(exc).__name__}
    if importlib.util.find_spec("qcs_sdk") is not None:
        import qcs_sdk, qcs_sdk.client
        load = qcs_sdk.client.QCSClient.load
        module = getattr(load, "__module__", "") or ""
        try:
            from jupyter_qcred.core import importhook
            report = importhook.report().get("pyquil")
        except Exception:
            report = None
        try:
            pyquil_version = _version("pyquil")
        except Exception:
            pyquil_version = None
        result["pyquil"] = {"version": pyquil_version, "sdk_version": _version("qcs-sdk-python"),
                            "adapted": module.startswith("jupyter_qcred"), "adapter": report}
    _out(result)
except Exception as exc:
    _out({"error": type(exc).__name__})
"""


def probe(provider: object = None) -> Probe:
    """The probe (the provider is not needed: the comparison uses the status entries alone)."""
    return Probe(
        provider="qcs",
        sdk="QCS SDKs",
        distribution="qcs-sdk-python|qcs-api-client-common",
        code=CODE,
        compare=compare,
        module="qcs_sdk",
    )


def compare(result: dict[str, Any], context: Context) -> list[Finding]:
    """One finding per installed client: the profile it loads against the panel's default, and pyquil's adapter."""
    entry = context.default_entry()
    panel_profile = (entry or {}).get("name")
    handoff = ((entry or {}).get("account") or {}).get("handoff")
    profile, variable = result.get("profile"), result.get("profile_variable")
    ours = {e["name"] for e in context.entries if e.get("name") and e.get("state") != "absent"}
    findings = []
    clients = []
    if result.get("common") is not None:
        clients.append(("common", f"qcs-api-client-common {result['common'].get('version')}"))
    if result.get("pyquil") is not None:
        clients.append(("pyquil", f"pyquil {result['pyquil'].get('version') or ''}".strip()))
    for key, sdk in clients:
        info = result[key]
        finding = Finding(
            provider="qcs",
            sdk=sdk,
            state="ok",
            uses=f"profile {profile!r} (credential {result.get('credential')!r})",
            message="",
            credential=profile,
            where=context.shown(result.get("settings")),
            variable="QCS_PROFILE_NAME" if variable else None,
            details={"kinds": result.get("kinds"), **{k: v for k, v in info.items() if k != "version"}},
        )
        findings.append(finding)
        client = sdk.split(" ")[0]
        if not ours:
            finding.state = "none"
            finding.message = f"{client} uses profile {profile!r}; the panel shows no QCS profile."
            continue
        if profile != panel_profile:
            finding.state = "differs"
            why = f"QCS_PROFILE_NAME={profile}" if variable else f"default_profile_name ({profile!r})"
            broken = f" (and cannot load it: {info.get('reason')})" if info.get("loaded") is False else ""
            finding.message = (
                f"{client} loads {why}{broken}, not the default profile the panel shows ({panel_profile!r})."
            )
            finding.fix = (
                f"Unset QCS_PROFILE_NAME or set it to {panel_profile}." if variable else "Make it the default again."
            )
            continue
        if key == "common" and not info.get("loaded"):
            finding.state = "error"
            finding.message = f"{client} cannot load profile {profile!r} ({info.get('reason')})."
            finding.fix = "Check ~/.qcs/settings.toml and secrets.toml (`jupyter qcred status` names the problem)."
            continue
        if key == "pyquil" and handoff == "command" and not info.get("adapted"):
            finding.state = "differs"
            state = info.get("adapter") or "not registered"
            finding.message = (
                f"pyquil reads profile {profile!r}, but its adapter is not acting ({state}): pyquil 4 then gets "
                "only the access-token copy, and fails once it expires while no Jupyter server renews it."
            )
            finding.fix = (
                "Unset JUPYTER_QCRED_SDK_ADAPTERS (or include pyquil in it), or run `jupyter qcred init --handoff "
                "files` so pyquil gets a refresh token of its own."
            )
            continue
        adapter = " through jupyter_qcred's adapter" if key == "pyquil" and info.get("adapted") else ""
        finding.message = f"{client} loads profile {profile!r}{adapter}, the default the panel shows."
    return findings
