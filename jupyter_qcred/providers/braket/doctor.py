"""What ``doctor`` asks boto3 (the Amazon Braket SDK's session): which profile and credential method it would use.

botocore resolves the profile (``AWS_PROFILE``, else ``default``) and then walks its credential chain: keys in the
environment first (``AWS_ACCESS_KEY_ID``), then the profile's role (web identity: our ``role_arn`` +
``web_identity_token_file``), SSO, the shared credentials file, ``credential_process``, keys in the config file,
and finally container/instance metadata. Loading the credentials would call STS, so the probe reads the same
configuration through botocore's own session (``profile_name``, ``full_config``) and names the first source of that
chain which is set, without any network call.
"""

from __future__ import annotations

from typing import Any

from ...core.doctor import Context, Finding, Probe

CODE = r"""
try:
    import boto3
    session = boto3.Session()
    profile = session.profile_name
    core = session._session
    config = core.full_config.get("profiles", {}).get(profile, {})
    method, where, token = None, None, None
    if os.getenv("AWS_ACCESS_KEY_ID") and os.getenv("AWS_SECRET_ACCESS_KEY"):
        method, where = "env", "AWS_ACCESS_KEY_ID"
    elif config.get("role_arn") and config.get("web_identity_token_file"):
        method, where = "assume-role-with-web-identity", os.path.expanduser(config["web_identity_token_file"])
        try:
            with open(where, encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError:
            token = None
    elif os.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") and os.getenv("AWS_ROLE_ARN"):
        method, where = "assume-role-with-web-identity", "AWS_WEB_IDENTITY_TOKEN_FILE"
    elif config.get("role_arn"):
        method, where = "assume-role", "role_arn"
    elif config.get("sso_session") or config.get("sso_start_url"):
        method, where = "sso", "sso"
    elif config.get("aws_access_key_id"):
        method, where = "shared-credentials-file", "aws_access_key_id"
    elif config.get("credential_process"):
        method, where = "custom-process", "credential_process"
    _out(dict(profile=profile, method=method, where=where, profile_variable=os.getenv("AWS_PROFILE"),
              region=session.region_name, **_fp(token)))
except Exception as exc:
    _out({"error": type(exc).__name__})
"""


def probe(provider: object = None) -> Probe:
    """The probe (the provider is not needed: the comparison uses the status entries alone)."""
    return Probe(provider="braket", sdk="boto3", distribution="boto3", code=CODE, compare=compare, module="boto3")


def compare(result: dict[str, Any], context: Context) -> list[Finding]:
    """The profile and method botocore picks against our profiles (same profile, our token file)."""
    profile, method = result.get("profile") or "default", result.get("method")
    ours = {e["name"]: e for e in context.entries if e.get("name") and e.get("state") != "absent"}
    finding = Finding(
        provider="braket",
        sdk="boto3",
        state="ok",
        uses=f"profile {profile!r} ({method or 'no credentials configured'})",
        message="",
        credential=profile,
        where=context.shown(result.get("where")) if result.get("where") else None,
        variable="AWS_PROFILE" if result.get("profile_variable") else None,
        fingerprint=result.get("hint"),
        panel=(ours.get(profile) or {}).get("token_hint"),
        details={"method": method, "region": result.get("region")},
    )
    if method == "env":
        finding.uses, finding.variable = "AWS_ACCESS_KEY_ID from the environment", "AWS_ACCESS_KEY_ID"
        if ours:
            finding.state = "differs"
            finding.message = (
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment beat every profile, so boto3 does "
                f"not use {', '.join(repr(n) for n in ours)} shown here."
            )
            finding.fix = "Unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in that environment."
        else:
            finding.message = "boto3 uses keys from the environment; jupyter_qcred manages no Braket profile here."
        return [finding]
    entry = ours.get(profile)
    if entry is None:
        if not ours:
            finding.state = "none"
            finding.message = f"boto3 uses profile {profile!r}, which jupyter_qcred does not manage (none shown)."
            return [finding]
        finding.state = "differs"
        why = f"AWS_PROFILE={profile}" if result.get("profile_variable") else f"the profile {profile!r}"
        finding.message = f"boto3 uses {why}, not a profile the panel shows ({', '.join(map(repr, ours))})."
        finding.fix = f"Set AWS_PROFILE to one of {', '.join(ours)} (or unset it when one is 'default')."
        return [finding]
    token_file = (entry.get("account") or {}).get("token_file")
    same_file = method == "assume-role-with-web-identity" and result.get("where") == token_file
    if same_file and (finding.fingerprint == entry.get("token_hint") or entry.get("token_hint") is None):
        finding.message = f"boto3 uses profile {profile!r} with the login token jupyter_qcred renews."
        return [finding]
    finding.state = "differs"
    finding.message = (
        f"boto3 uses profile {profile!r} but through {method or 'no credential'}, not the login token file "
        f"jupyter_qcred renews ({context.shown(token_file)})."
    )
    finding.fix = f"Re-initialize Amazon Braket from JupyterHub, or remove the other credentials of {profile!r}."
    return [finding]
