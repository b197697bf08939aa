"""The QCS REST API at ``{base}/qcs``: who am I, my groups, balances.

Requests carry the Okta access token as a Bearer; an invalid or expired one answers 401 with QCS's error shape
``{"code", "message", "requestId"}``, which is what tells a client its token needs refreshing.
"""

from __future__ import annotations

import secrets
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .state import QcsGroup, QcsUser, iso
from .tokens import TokenInvalid


def user_json(user: QcsUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "idpId": user.idp_id,
        "createdTime": iso(user.created_time),
        "profile": {
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "organization": user.organization,
        },
    }


def group_json(group: QcsGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "createdTime": iso(group.created_time),
        "lastJoinedTime": iso(group.last_joined_time or group.created_time),
        "memberCount": len(group.members),
    }


class QcsApiHandler(ServiceHandler):
    """Authenticates the Bearer token before any QCS API method."""

    user: QcsUser

    async def prepare(self) -> None:
        await super().prepare()
        token = self.bearer()
        try:
            claims = self.sandbox.signer.verify(token or "", issuer=self.sandbox.urls.qcs_issuer)
        except TokenInvalid as exc:
            self.log_error = str(exc)
            self.api_error(401, "unauthorized", "The access token is missing, invalid or expired.")
            return
        user = self.sandbox.user_by_uid(str(claims.get("uid", "")))
        if user is None:
            self.api_error(401, "unauthorized", "The access token belongs to an unknown user.")
            return
        self.user = user
        self.log_user = user.username

    def api_error(self, status: int, code: str, message: str) -> None:
        self.log_error = self.log_error or code
        self.write_json({"code": code, "message": message, "requestId": secrets.token_hex(8)}, status=status)


class GetUserHandler(QcsApiHandler):
    endpoint = "qcs_user"

    def get(self) -> None:
        self.write_json(user_json(self.user))


class GroupsHandler(QcsApiHandler):
    endpoint = "qcs_groups"

    def get(self, idp_id: str) -> None:
        if idp_id not in (self.user.idp_id, self.user.id):
            self.api_error(403, "permission_denied", "You may only list your own groups.")
            return
        groups = [group_json(g) for g in self.sandbox.qcs_groups.values() if self.user.username in g.members]
        self.write_json({"groups": groups, "nextPageToken": ""})


class UserBalanceHandler(QcsApiHandler):
    endpoint = "qcs_balance"

    def get(self, user_id: str) -> None:
        if user_id not in (self.user.id, self.user.idp_id):
            self.api_error(403, "permission_denied", "You may only read your own balance.")
            return
        self.write_json({"id": self.user.id, "balance": self.user.balance})


class GroupBalanceHandler(QcsApiHandler):
    endpoint = "qcs_balance"

    def get(self, name: str) -> None:
        group = self.sandbox.qcs_groups.get(name)
        if group is None or self.user.username not in group.members:
            self.api_error(404, "not_found", f"No group named {name!r} among your groups.")
            return
        self.write_json({"id": group.name, "balance": group.balance})


class QuantumProcessorsHandler(QcsApiHandler):
    """``GET /v1/quantumProcessors``: what pyquil's ``list_quantum_computers`` asks first (one page, no
    ``nextPageToken``, as QCS answers when everything fits)."""

    endpoint = "qcs_processors"

    def get(self) -> None:
        self.write_json({"quantumProcessors": [{"id": name} for name in QUANTUM_PROCESSORS]})


#: The quantum processors every sandbox user may see.
QUANTUM_PROCESSORS = ("Ankaa-3", "Cepheus-1-36Q")


def routes() -> list[tuple[str, type[BaseHandler]]]:
    return [
        (r"/qcs/v1/auth:getUser", GetUserHandler),
        (r"/qcs/v1/quantumProcessors", QuantumProcessorsHandler),
        (r"/qcs/v1/users/([^/]+)/groups", GroupsHandler),
        (r"/qcs/v1/users/([^/]+)/balance", UserBalanceHandler),
        (r"/qcs/v1/groups/([^/]+)/balance", GroupBalanceHandler),
    ]
