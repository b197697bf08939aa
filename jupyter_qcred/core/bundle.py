"""The spawn bundle (schema v1): what JupyterHub hands a user's server, validated field by field.

The bundle arrives as JSON in ``QCRED_BUNDLE`` or in the file named by ``QCRED_BUNDLE_FILE`` (see DESIGN.md). Every
error names the field (``ibm[1].token``) and what was expected, and never echoes a value: values may be secrets.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import safejson
from .errors import FieldError, QCredError
from .validation import Fields, kind, proxy_problem

if TYPE_CHECKING:
    from ..providers.braket.spec import BraketProfileSpec
    from ..providers.ionq.spec import IonqKeySpec
    from ..providers.nexus.spec import NexusLoginSpec

BUNDLE_VERSION = 1
IBM_CHANNELS = ("ibm_quantum_platform", "ibm_cloud", "ibm_quantum")
DEFAULT_IBM_NAMES = {
    "ibm_quantum_platform": "default-ibm-quantum-platform",
    "ibm_cloud": "default-ibm-cloud",
    "ibm_quantum": "default-ibm-quantum",
}
#: How a QCS credential is kept fresh: by the server talking to the identity provider itself (public client), or by
#: pulling fresh tokens from the hub (confidential client whose secret stays on the hub).
QCS_REFRESH_PATHS = ("provider", "hub")
QCS_HANDOFFS = ("command", "files")
#: The bundle's sections: one per provider, each a list of that provider's entries (all optional).
SECTIONS = ("ibm", "qcs", "ionq", "braket", "nexus")


class BundleError(QCredError):
    """The bundle is not valid JSON or does not follow schema v1."""


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


@dataclasses.dataclass(frozen=True)
class QcsProfileSpec:
    """One Rigetti QCS profile of the bundle, with the credential it uses."""

    profile: str
    access_token: str | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str | None = None
    grpc_api_url: str | None = None
    issuer: str | None = None
    credentials_name: str | None = None
    auth_server_name: str | None = None
    default: bool = False
    refresh: str = "provider"
    #: How SDK processes get this credential's tokens: "command" (jupyter_qcred's token command) or "files"
    #: (plain token payloads); None: the deployment's setting (``c.QCredApp.qcs_handoff``, default "command").
    handoff: str | None = None

    def __repr__(self) -> str:  # never show the tokens
        return f"QcsProfileSpec(profile={self.profile!r})"


@dataclasses.dataclass(frozen=True)
class Bundle:
    """A validated bundle."""

    ibm: tuple[IbmAccountSpec, ...] = ()
    qcs: tuple[QcsProfileSpec, ...] = ()
    ionq: tuple[IonqKeySpec, ...] = ()
    braket: tuple[BraketProfileSpec, ...] = ()
    nexus: tuple[NexusLoginSpec, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the bundle carries no credential at all."""
        return not any(self.sections().values())

    def sections(self) -> dict[str, tuple[Any, ...]]:
        """Each provider's entries, by provider key (in the order of :data:`SECTIONS`)."""
        return {key: getattr(self, key) for key in SECTIONS}

    def counts(self) -> str:
        """How many credentials of each provider, for a log line ("1 ibm, 1 qcs")."""
        return ", ".join(f"{len(specs)} {key}" for key, specs in self.sections().items() if specs) or "no credentials"


_IBM_FIELDS = {f.name for f in dataclasses.fields(IbmAccountSpec)}
_QCS_FIELDS = {f.name for f in dataclasses.fields(QcsProfileSpec)}


def _ibm_account(where: str, index: int, data: object) -> IbmAccountSpec:
    fields = Fields(where, f"ibm[{index}]", data)
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


def _qcs_profile(where: str, index: int, data: object) -> QcsProfileSpec:
    fields = Fields(where, f"qcs[{index}]", data)
    fields.unknown(_QCS_FIELDS)
    spec = QcsProfileSpec(
        profile=fields.text("profile") or "default",
        access_token=fields.text("access_token"),
        refresh_token=fields.text("refresh_token"),
        client_id=fields.text("client_id"),
        client_secret=fields.text("client_secret"),
        api_url=fields.url("api_url"),
        grpc_api_url=fields.url("grpc_api_url"),
        issuer=fields.url("issuer"),
        credentials_name=fields.text("credentials_name"),
        auth_server_name=fields.text("auth_server_name"),
        default=bool(fields.flag("default", False)),
        refresh=fields.text("refresh") or "provider",
        handoff=fields.text("handoff"),
    )
    if spec.handoff is not None and spec.handoff not in QCS_HANDOFFS:
        raise FieldError(where, f"qcs[{index}].handoff", f"must be one of {', '.join(QCS_HANDOFFS)}")
    if spec.refresh not in QCS_REFRESH_PATHS:
        raise FieldError(where, f"qcs[{index}].refresh", f"must be one of {', '.join(QCS_REFRESH_PATHS)}")
    if not (spec.access_token or spec.refresh_token or spec.client_secret):
        raise FieldError(
            where, f"qcs[{index}]", "needs an access_token, a refresh_token, or a client_id with client_secret"
        )
    if spec.client_secret and not spec.client_id:
        raise FieldError(where, f"qcs[{index}].client_id", "is required with client_secret")
    return spec


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


def _unique(where: str, section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise FieldError(where, f"{section}[{index}]", f"repeats the name {name!r}; names must be unique")
        seen.add(name)


def _section_parsers() -> dict[str, tuple[Callable[[Fields], Any], Callable[[Any], str]]]:
    """Each section's entry parser and the name that must be unique, the later providers' from their own package."""
    from ..providers.braket import spec as braket
    from ..providers.ionq import spec as ionq
    from ..providers.nexus import spec as nexus

    return {
        "ibm": (lambda fields: _ibm_account(fields.where, fields.index, fields.data), lambda a: a.name),
        "qcs": (lambda fields: _qcs_profile(fields.where, fields.index, fields.data), lambda p: p.profile),
        "ionq": (ionq.parse_entry, lambda k: k.name),
        "braket": (braket.parse_entry, lambda p: p.profile),
        "nexus": (nexus.parse_entry, lambda login: login.name),
    }


def parse_bundle(data: object, where: str = "bundle") -> Bundle:
    """Validate a decoded bundle object (a section a provider does not know of is an error naming it)."""
    fields = Fields(where, "", data)
    fields.unknown({"version", *SECTIONS})
    version = fields.data.get("version")
    if version != BUNDLE_VERSION:
        raise BundleError(
            f"{where}: version {version!r} is not supported; this jupyter_qcred reads bundle version "
            f"{BUNDLE_VERSION}. Update jupyter_qcred on the hub and in the user image to the same release."
        )
    lists = {}
    for section in SECTIONS:
        value = fields.data.get(section, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise FieldError(where, section, f"must be a list, not {kind(value)}")
        lists[section] = value
    parsed: dict[str, tuple[Any, ...]] = {}
    for section, (parse, name_of) in _section_parsers().items():
        entries = tuple(parse(Fields(where, f"{section}[{i}]", item, index=i)) for i, item in enumerate(lists[section]))
        _unique(where, section, [name_of(entry) for entry in entries])
        if sum(1 for entry in entries if entry.default) > 1:
            raise FieldError(where, section, "marks more than one entry as default")
        parsed[section] = entries
    return Bundle(**parsed)


def loads_bundle(text: str, where: str = "bundle") -> Bundle:
    """Parse bundle JSON text."""
    try:
        data = safejson.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        at = f" (line {line})" if line else ""
        raise BundleError(f"{where} is not valid JSON{at}; the hub must hand over a JSON object.") from None
    return parse_bundle(data, where)


def bundle_from_environment(environ: Mapping[str, str]) -> tuple[Bundle | None, str | None]:
    """The bundle from ``QCRED_BUNDLE`` or ``QCRED_BUNDLE_FILE``, and where it came from (None, None if neither)."""
    text = environ.get("QCRED_BUNDLE")
    if text:
        return loads_bundle(text, "QCRED_BUNDLE"), "QCRED_BUNDLE"
    path = environ.get("QCRED_BUNDLE_FILE")
    if path:
        try:
            content = Path(path).read_text("utf-8")
        except OSError as exc:
            raise BundleError(
                f"QCRED_BUNDLE_FILE names {path}, which cannot be read ({exc.strerror}); check the spawner's "
                "bundle file settings."
            ) from None
        return loads_bundle(content, path), path
    return None, None


def dump_bundle(bundle: Bundle) -> str:
    """Serialize a bundle (the hub side uses this), dropping fields left at their defaults."""

    def clean(spec: object) -> dict[str, Any]:
        # Only what equals its field's default is left out: a tri-state flag (``private_endpoint``) must keep an
        # explicit False, which loading would otherwise turn into "unset".
        defaults = {field.name: field.default for field in dataclasses.fields(spec)}  # type: ignore[arg-type]
        data = dataclasses.asdict(spec)  # type: ignore[call-overload]
        return {
            key: value
            for key, value in data.items()
            if key == "verify" or not (value is defaults[key] and value in (None, False))
        }

    # The sections of the later providers are written only when they hold something, so a hub that hands over
    # IBM and QCS only still produces a bundle an older jupyter_qcred (which knows ibm and qcs alone) accepts.
    data: dict[str, Any] = {
        "version": BUNDLE_VERSION,
        "ibm": [clean(a) for a in bundle.ibm],
        "qcs": [clean(p) for p in bundle.qcs],
    }
    for key, specs in bundle.sections().items():
        if key not in data and specs:
            data[key] = [clean(spec) for spec in specs]
    return json.dumps(data)
