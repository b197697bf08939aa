"""The bundle's ``ibm`` section: IBM Quantum accounts of both SDKs (qiskit-ibm-runtime channels and the legacy
``ibm_quantum`` accounts of qiskitrc), validated field by field; errors name the field, never the value."""

from __future__ import annotations

import dataclasses
from typing import Any

from ...core.errors import FieldError
from ...core.validation import Fields, proxy_problem

IBM_CHANNELS = ("ibm_quantum_platform", "ibm_cloud", "ibm_quantum")
DEFAULT_IBM_NAMES = {
    "ibm_quantum_platform": "default-ibm-quantum-platform",
    "ibm_cloud": "default-ibm-cloud",
    "ibm_quantum": "default-ibm-quantum",
}


@dataclasses.dataclass(frozen=True)
class IbmAccountSpec:
    """One IBM Quantum account of the bundle."""

    name: str
    channel: str
    token: str
    url: str | None = None
    instance: str | None = None
    hub: str | None = None
    group: str | None = None
    project: str | None = None
    verify: bool = True
    proxies: dict[str, Any] | None = None
    default: bool = False
    region: str | None = None
    plans_preference: list[str] | None = None
    tags: list[str] | None = None
    private_endpoint: bool | None = None

    def __repr__(self) -> str:  # never show the token
        return f"IbmAccountSpec(name={self.name!r}, channel={self.channel!r})"


_IBM_FIELDS = {f.name for f in dataclasses.fields(IbmAccountSpec)}


def parse_entry(fields: Fields) -> IbmAccountSpec:
    """One entry of the bundle's ``ibm`` section (see DESIGN.md: Spawn bundle v1)."""
    where, index = fields.where, fields.index
    fields.unknown(_IBM_FIELDS)
    channel = fields.text("channel") or "ibm_quantum_platform"
    if channel not in IBM_CHANNELS:
        raise FieldError(where, f"ibm[{index}].channel", f"must be one of {', '.join(IBM_CHANNELS)}")
    hgp = [fields.text("hub"), fields.text("group"), fields.text("project")]
    if any(hgp) and not all(hgp):
        raise FieldError(where, f"ibm[{index}].hub", "and group and project must be given together")
    if all(hgp) and channel != "ibm_quantum":
        raise FieldError(where, f"ibm[{index}].hub", "is only meaningful for channel ibm_quantum")
    return IbmAccountSpec(
        name=fields.text("name") or DEFAULT_IBM_NAMES[channel],
        channel=channel,
        token=fields.text("token", required=True) or "",
        url=fields.url("url"),
        instance=fields.text("instance"),
        hub=hgp[0],
        group=hgp[1],
        project=hgp[2],
        verify=bool(fields.flag("verify", True)),
        proxies=_proxies(fields),
        default=bool(fields.flag("default", False)),
        region=fields.text("region"),
        plans_preference=fields.strings("plans_preference"),
        tags=fields.strings("tags"),
        private_endpoint=fields.flag("private_endpoint", None),
    )


def _proxies(fields: Fields) -> dict[str, Any] | None:
    """An IBM account's ``proxies``: each of ``urls`` a proxy address (:func:`proxy_problem`), checked here so a bad
    one is a field error of the bundle, never a crash of the SDK or of our own check later."""
    proxies = fields.mapping("proxies")
    urls = (proxies or {}).get("urls")
    if urls is None:
        return proxies
    if not isinstance(urls, dict):
        raise FieldError(fields.where, f"{fields.path}.proxies.urls", "must map protocols to proxy addresses")
    for scheme, url in urls.items():
        problem = proxy_problem(url)
        if problem:
            raise FieldError(fields.where, f"{fields.path}.proxies.urls.{scheme}", problem)
    return proxies
