"""The QCS API calls that describe the account a token belongs to, as a generator flow (see
:mod:`jupyter_qcred.core.flows`): ``GET /v1/auth:getUser`` and ``GET /v1/users/{idpId}/groups``. The tokens come from
the identity provider through :class:`jupyter_qcred.providers.shared.oidc.Oidc`.

A 401 is a :class:`~jupyter_qcred.core.errors.RefusedError`; 5xx, timeouts and unreadable answers are transient. The
token never reaches an exception message or a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ...core import flows
from ...core.errors import ProviderError
from ...core.flows import Flow
from ...core.validation import web_url

PROVIDER = "qcs"
#: At most this many pages of groups are fetched for the status views.
MAX_GROUP_PAGES = 10
_JSON = {"Accept": "application/json"}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def account_flow(api_url: str, access_token: str) -> Flow[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Who the token belongs to and their groups, shaped for the status JSON (``account.user``/``groups``)."""
    base = api_url.rstrip("/")
    if not web_url(base):
        raise ProviderError(PROVIDER, f"the api_url {api_url!r} is not an https URL; fix it in settings.toml.")
    headers = {**_JSON, "Authorization": f"Bearer {access_token}"}
    what = "the QCS API (auth:getUser)"
    response = yield flows.request("GET", base + "/v1/auth:getUser", headers=headers)
    body = flows.require(flows.expect_ok(response, PROVIDER, what, refused=(401,)), PROVIDER, what, "idpId")
    found = body.get("profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    user = {
        "id": _text(body.get("id")),
        "idp_id": _text(body.get("idpId")),
        "email": _text(profile.get("email")),
        "first_name": _text(profile.get("firstName")),
        "last_name": _text(profile.get("lastName")),
        "organization": _text(profile.get("organization")),
    }
    groups: list[dict[str, Any]] = []
    page_token = ""
    what = "the QCS API (groups)"
    for _page in range(MAX_GROUP_PAGES):
        url = f"{base}/v1/users/{quote(str(body['idpId']), safe='')}/groups"
        params = {"pageToken": page_token} if page_token else None
        response = yield flows.request("GET", url, headers=headers, params=params)
        listing = flows.expect_ok(response, PROVIDER, what, refused=(401,))
        items = listing.get("groups") if isinstance(listing, Mapping) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                groups.append(
                    {
                        "id": _text(item.get("id")),
                        "name": _text(item.get("name")),
                        "description": _text(item.get("description")),
                    }
                )
        page_token = (_text(listing.get("nextPageToken")) if isinstance(listing, Mapping) else None) or ""
        if not page_token:
            break
    return user, groups
