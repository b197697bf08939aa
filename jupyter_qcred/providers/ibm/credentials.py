"""The legacy IBM Quantum provider's account model: ``Credentials`` and ``HubGroupProject`` (the seed API).

This reproduces ``qiskit.providers.ibmq.credentials`` (qiskit-ibmq-provider 0.20) closely enough that code and
files written for it keep working, with its defects fixed: hub-specific URLs are recognised in both the ``/Hubs/``
form the original parsed and the ``/Network/`` form it wrote (so two hub sections of a qiskitrc never collapse into
one), and nothing here ever shows a token (``repr``, ``str`` and error messages name accounts, never secrets).

It is re-exported by :mod:`jupyter_qcred.providers.ibm.provider`; it lives in its own module only so the file
formats and the provider can import it without a cycle.
"""

from __future__ import annotations

import re
from typing import Any

from ...core.errors import QCredError

#: The legacy IBM Quantum authentication API (Quantum Platform *Classic*, shut down on 2025-07-01).
QX_AUTH_URL = "https://auth.quantum-computing.ibm.com/api"

#: A hub-specific URL. The original wrote ``/Network/`` but parsed only ``/Hubs/`` (and only https): accept both.
_HUB_URL = re.compile(
    r"^(?P<prefix>https?://.+?)/(?:Hubs|Network)/(?P<hub>[^/]+)/Groups/(?P<group>[^/]+)/Projects/(?P<project>[^/]+)/?$",
    re.IGNORECASE,
)
_HUB_URL_TEMPLATE = "{prefix}/Network/{hub}/Groups/{group}/Projects/{project}"
#: What a hub, group or project name may be: it travels in URLs, INI section names and ``hub/group/project``.
_HGP_PART = re.compile(r"^[^/\s\[\]]+$")


class InvalidHubGroupProjectError(QCredError, ValueError):
    """A ``hub/group/project`` string is not three non-empty names separated by slashes."""


class HubGroupProject:
    """One hub/group/project of the legacy IBM Quantum network; equal and hashed by the triple.

    The stored form ``"hub/group/project"`` is what the legacy provider keeps in ``default_provider`` and what
    qiskit-ibm-runtime kept as the ``instance`` of an ``ibm_quantum`` account.
    """

    __slots__ = ("group", "hub", "project")

    def __init__(self, hub: str | None = None, group: str | None = None, project: str | None = None) -> None:
        self.hub = hub
        self.group = group
        self.project = project

    @classmethod
    def from_stored_format(cls, hgp: str) -> HubGroupProject:
        """Parse ``"hub/group/project"``; every part must be a non-empty name without spaces or slashes."""
        parts = hgp.strip().split("/") if isinstance(hgp, str) else []
        if len(parts) != 3 or not all(_HGP_PART.match(part) for part in parts):
            raise InvalidHubGroupProjectError(
                "A hub/group/project must be written as three names separated by slashes, like "
                "'ibm-q/open/main' (no spaces, none of them empty)."
            )
        return cls(*parts)

    @classmethod
    def from_credentials(cls, credentials: Credentials) -> HubGroupProject:
        """The triple of ``credentials`` (parts may be None)."""
        return cls(credentials.hub, credentials.group, credentials.project)

    def to_stored_format(self) -> str:
        """``"hub/group/project"``; raises when a part is missing, since such a string could not be read back."""
        if not (self.hub and self.group and self.project):
            raise InvalidHubGroupProjectError(
                "This hub/group/project cannot be stored: the hub, the group and the project must all be set."
            )
        return "/".join((self.hub, self.group, self.project))

    def to_tuple(self) -> tuple[str | None, str | None, str | None]:
        """``(hub, group, project)``."""
        return (self.hub, self.group, self.project)

    @property
    def complete(self) -> bool:
        """True when hub, group and project are all set."""
        return bool(self.hub and self.group and self.project)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HubGroupProject):
            return NotImplemented
        return self.to_tuple() == other.to_tuple()

    def __hash__(self) -> int:
        return hash(self.to_tuple())

    def __repr__(self) -> str:
        return f"HubGroupProject(hub={self.hub!r}, group={self.group!r}, project={self.project!r})"

    def __str__(self) -> str:
        return "/".join(part or "" for part in self.to_tuple())


def unify_ibmq_url(
    url: str, hub: str | None = None, group: str | None = None, project: str | None = None
) -> tuple[str, str, str | None, str | None, str | None]:
    """``(url, base_url, hub, group, project)`` like the original, accepting ``/Network/`` and ``/Hubs/`` URLs.

    A hub-specific URL wins over the arguments (as in the original); otherwise hub, group and project count only
    when all three are given, and then the URL becomes ``{url}/Network/{hub}/Groups/{group}/Projects/{project}``.
    """
    match = _HUB_URL.match(url)
    if match:
        return (
            _HUB_URL_TEMPLATE.format(**match.groupdict()),
            match.group("prefix"),
            match.group("hub"),
            match.group("group"),
            match.group("project"),
        )
    if hub and group and project:
        hub_url = _HUB_URL_TEMPLATE.format(prefix=url.rstrip("/"), hub=hub, group=group, project=project)
        return hub_url, url, hub, group, project
    return url, url, None, None, None


class Credentials:
    """IBM Quantum (legacy provider) account credentials and preferences.

    By convention, two credentials that have the same hub, group and project are equivalent whatever else differs
    (:meth:`unique_id`). ``repr`` and ``str`` never show the token or the access token.
    """

    def __init__(
        self,
        token: str,
        url: str,
        websockets_url: str | None = None,
        hub: str | None = None,
        group: str | None = None,
        project: str | None = None,
        proxies: dict[str, Any] | None = None,
        verify: bool = True,
        services: dict[str, Any] | None = None,
        access_token: str | None = None,
        preferences: dict[str, Any] | None = None,
        default_provider: HubGroupProject | str | None = None,
    ) -> None:
        self.token = token
        self.url, self.base_url, self.hub, self.group, self.project = unify_ibmq_url(url, hub, group, project)
        self.websockets_url = websockets_url
        self.proxies: dict[str, Any] = proxies or {}
        self.verify = verify
        self.services: dict[str, Any] = services or {}
        self.extractor_url: str | None = self.services.get("extractorsService")
        self.experiment_url: str | None = self.services.get("resultsDB")
        self.runtime_url: str | None = self.services.get("runtime")
        self.access_token = access_token
        self.preferences: dict[str, Any] = preferences or {}
        if isinstance(default_provider, str):
            default_provider = HubGroupProject.from_stored_format(default_provider)
        self.default_provider: HubGroupProject | None = default_provider

    def is_ibmq(self) -> bool:
        """Whether these credentials name a hub, a group and a project (an IBM Quantum network account)."""
        return bool(self.hub and self.group and self.project)

    def unique_id(self) -> HubGroupProject:
        """The value that identifies these credentials: their hub/group/project (parts may be None)."""
        return HubGroupProject(self.hub, self.group, self.project)

    def connection_parameters(self) -> dict[str, Any]:
        """Keyword arguments for ``requests``: ``verify``, and ``proxies`` / ``auth`` (NTLM) when configured."""
        params: dict[str, Any] = {"verify": self.verify}
        if self.proxies:
            if "urls" in self.proxies:
                params["proxies"] = self.proxies["urls"]
            if "username_ntlm" in self.proxies and "password_ntlm" in self.proxies:
                from requests_ntlm import HttpNtlmAuth  # lazy: only proxies with NTLM need it

                params["auth"] = HttpNtlmAuth(self.proxies["username_ntlm"], self.proxies["password_ntlm"])
        return params

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value like the original

    def __repr__(self) -> str:
        hgp = f", hub={self.hub!r}, group={self.group!r}, project={self.project!r}" if self.is_ibmq() else ""
        return f"Credentials(url={self.base_url!r}{hgp}, verify={self.verify!r}, token=<hidden>)"

    __str__ = __repr__
