"""The check of a Braket profile: STS ``AssumeRoleWithWebIdentity`` with the stored token, as botocore sends it.

It tells whether AWS trusts the token for the role now, and which identity the kernels' boto3 will get (the
assumed-role ARN). It cannot tell whether that role may use Braket: the Braket API is not called.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ...core import flows
from ...core.errors import ProviderError, RefusedError, TransientProviderError
from ...core.flows import Flow
from ...core.validation import REGION_RULE, aws_region

PROVIDER = "braket"
_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
#: Codes that mean AWS does not accept this token for this role: only a new login or a fixed role helps.
REFUSED = ("InvalidIdentityToken", "AccessDenied", "IDPRejectedClaim")


class ConfigurationError(ProviderError):
    """A setting of the profile makes the check impossible: retrying does not help, fixing the setting does."""

    transient = False


def sts_endpoint(environ: dict[str, str] | Any, region: str | None) -> str:
    """Where botocore sends STS calls: ``AWS_ENDPOINT_URL_STS`` (or ``AWS_ENDPOINT_URL``), else the regional one.

    The region becomes part of the host, so it must be a region name (:func:`aws_region`): a ``region`` such as
    ``x@127.0.0.1:8000/#`` (from a bundle, or a hand-edited ``~/.aws/config``) would otherwise make
    ``https://sts.x@127.0.0.1:8000/#.amazonaws.com`` and send the login's token to that host. ProviderError (not
    transient: only fixing the region helps) before any request.
    """
    if region is not None and not aws_region(region):
        raise ConfigurationError(
            PROVIDER,
            f"the profile's region {REGION_RULE}, so the login's token was not sent; fix region in ~/.aws/config.",
        )
    configured = environ.get("AWS_ENDPOINT_URL_STS") or environ.get("AWS_ENDPOINT_URL")
    return str(configured or f"https://sts.{region or 'us-east-1'}.amazonaws.com")


def _find(root: ET.Element, name: str) -> str | None:
    found = root.find(f".//{_NS}{name}")
    if found is None:
        found = root.find(f".//{name}")
    return found.text if found is not None and found.text else None


def assume_role_flow(endpoint: str, role_arn: str, token: str, profile: str) -> Flow[dict[str, Any]]:
    """Assume ``role_arn`` for 15 minutes (STS's minimum); returns ``{"arn", "expiration"}``."""
    what = f"AWS STS ({endpoint.split('://', 1)[-1].split('/', 1)[0]}) for profile {profile!r}"
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": "jupyter-qcred-check",
        "WebIdentityToken": token,
        "DurationSeconds": "900",
    }
    response = yield flows.request("POST", endpoint.rstrip("/") + "/", data=form)
    try:
        root = ET.fromstring(response.content)  # noqa: S314 - see the import
    except ET.ParseError:
        raise TransientProviderError(PROVIDER, f"{what} answered something that is not STS XML; will retry.") from None
    if response.status_code >= 500:
        raise TransientProviderError(PROVIDER, f"{what} failed (HTTP {response.status_code}); will retry.")
    if not response.is_success:
        code = _find(root, "Code") or f"HTTP {response.status_code}"
        if code in REFUSED:
            raise RefusedError(PROVIDER, f"{what} refused the login's token for role {role_arn} ({code}).")
        if code == "ExpiredTokenException":
            raise TransientProviderError(PROVIDER, f"{what}: the token expired before it was renewed; will retry.")
        raise ProviderError(PROVIDER, f"{what} rejected the request ({code}).")
    arn = _find(root, "Arn")
    if not arn:
        raise TransientProviderError(PROVIDER, f"{what} answered without an assumed role; will retry.")
    return {"assumed_role": arn, "credentials_expire": _find(root, "Expiration")}
