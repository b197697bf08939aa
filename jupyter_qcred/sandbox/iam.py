"""IBM Cloud IAM: ``POST {base}/identity/token`` trading a platform API key for a Bearer JWT.

Mirrors what ``ibm_cloud_sdk_core.IAMTokenManager`` sends (form ``grant_type=urn:ibm:params:oauth:grant-type:
apikey``, ``apikey``, ``response_type=cloud_iam``) and reads back (``access_token`` decoded for ``exp``/``iat``
to refresh at 80% of the lifetime).  A refused key is a 400 with IAM's ``BXNIM0415E`` error object.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .state import IbmUser, SandboxState

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def iam_issuer(state: SandboxState) -> str:
    return state.urls.iam_url + "/identity"


def iam_claims(state: SandboxState, user: IbmUser, lifetime: int) -> dict[str, Any]:
    """The claims of an IAM access token for a user's API key (a subset of the real ones)."""
    now = int(time.time())
    return {
        "iam_id": user.iam_id,
        "id": user.iam_id,
        "realmid": "IBMid",
        "jti": secrets.token_hex(16),
        "identifier": user.user_id,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "name": f"{user.first_name} {user.last_name}",
        "email": user.email,
        "sub": user.email,
        "authn": {
            "sub": user.email,
            "iam_id": user.iam_id,
            "name": f"{user.first_name} {user.last_name}",
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
        },
        "account": {"valid": True, "bss": user.account_id, "frozen": True},
        "iat": now,
        "exp": now + lifetime,
        "iss": iam_issuer(state),
        "grant_type": APIKEY_GRANT,
        "scope": "ibm openid",
        "client_id": "default",
        "acr": 1,
        "amr": ["pwd"],
    }


class IamTokenHandler(ServiceHandler):
    endpoint = "iam"

    def iam_error(self, status: int, code: str, message: str) -> None:
        self.log_error = code
        now = datetime.now(timezone.utc).strftime("%d.%m.%Y %H:%M:%S:%f")[:-3] + " UTC"
        self.write_json(
            {
                "errorCode": code,
                "errorMessage": message,
                "context": {
                    "requestId": secrets.token_hex(16),
                    "requestType": "incoming.Identity_Token",
                    "userAgent": self.request.headers.get("User-Agent", ""),
                    "url": self.sandbox.urls.iam_url,
                    "instanceId": "iamid-sandbox",
                    "threadId": secrets.token_hex(4),
                    "host": "sandbox",
                    "startTime": now,
                    "endTime": now,
                    "elapsedTime": "1",
                    "locale": "en_US",
                    "clusterName": "iam-id-sandbox",
                },
            },
            status=status,
        )

    def post(self) -> None:
        grant_type = self.form("grant_type")
        self.log_grant_type = grant_type
        if grant_type != APIKEY_GRANT:
            self.iam_error(400, "BXNIM0103E", "Unsupported grant type.")
            return
        apikey = self.form("apikey")
        if not apikey:
            self.iam_error(400, "BXNIM0109E", "Property missing or empty. Property name: apikey")
            return
        secret = self.sandbox.ibm_secret(apikey, "apikey")
        if secret is None:
            self.iam_error(400, "BXNIM0415E", "Provided API key could not be found.")
            return
        self.log_user = secret.user
        user = self.sandbox.ibm_users[secret.user]
        lifetime = self.sandbox.config.iam_token_lifetime
        claims = iam_claims(self.sandbox, user, lifetime)
        self.write_json(
            {
                "access_token": self.sandbox.signer.mint(claims),
                "refresh_token": "not_supported",
                "ims_user_id": int(user.user_id[:4]),
                "token_type": "Bearer",
                "expires_in": lifetime,
                "expiration": claims["exp"],
                "scope": "ibm openid",
            }
        )


def routes() -> list[tuple[str, type[BaseHandler]]]:
    return [(r"/identity/token", IamTokenHandler)]
