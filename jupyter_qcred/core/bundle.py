"""The spawn bundle (schema v1): what JupyterHub hands a user's server, validated field by field.

The bundle arrives as JSON in ``QCRED_BUNDLE`` or in the file named by ``QCRED_BUNDLE_FILE`` (see DESIGN.md). It
has one section per registered provider (:mod:`jupyter_qcred.core.registry`), each a list of that provider's
entries, parsed by the provider's ``parse_entry``. Every error names the field (``ibm[1].token``) and what was
expected, and never echoes a value: values may be secrets.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import registry, safejson
from .errors import FieldError, QCredError
from .validation import Fields, kind

BUNDLE_VERSION = 1


class BundleError(QCredError):
    """The bundle is not valid JSON or does not follow schema v1."""


class Bundle:
    """A validated bundle: each provider's entries by provider key (``bundle.ibm``, ``bundle.qcs``: empty tuples
    for a provider the bundle does not mention).

    ``Bundle(ibm=(spec,))`` or ``Bundle({"ibm": [spec]})``; immutable, compared by content.
    """

    __slots__ = ("_sections",)
    _sections: dict[str, tuple[Any, ...]]

    def __init__(self, sections: Mapping[str, Iterable[Any]] | None = None, /, **by_key: Iterable[Any]) -> None:
        merged = {**dict(sections or {}), **by_key}
        object.__setattr__(self, "_sections", {key: tuple(specs) for key, specs in merged.items() if specs})

    def __getattr__(self, key: str) -> tuple[Any, ...]:
        if key.startswith("_"):
            raise AttributeError(key)
        return self._sections.get(key, ())

    def __setattr__(self, key: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {key!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bundle) and self._sections == other._sections

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._sections.items())))

    def __repr__(self) -> str:  # the specs' own reprs never show a secret
        return f"Bundle({self.counts()})"

    @property
    def empty(self) -> bool:
        """True when the bundle carries no credential at all."""
        return not self._sections

    def sections(self) -> dict[str, tuple[Any, ...]]:
        """Each provider's entries by key: the registered providers first, in their order, then any other key."""
        order = {key: index for index, key in enumerate(registry.provider_keys())}
        keys = sorted(self._sections, key=lambda key: (order.get(key, len(order)), key))
        return {key: self._sections[key] for key in keys}

    def counts(self) -> str:
        """How many credentials of each provider, for a log line ("1 ibm, 1 qcs")."""
        return ", ".join(f"{len(specs)} {key}" for key, specs in self.sections().items()) or "no credentials"


def _unique(where: str, section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise FieldError(where, f"{section}[{index}]", f"repeats the name {name!r}; names must be unique")
        seen.add(name)


def parse_section(section: str, entries: list[Any], where: str = "bundle") -> tuple[Any, ...]:
    """One provider's section (a list of entries), by that provider's ``parse_entry``."""
    parse = registry.provider_class(section).parse_entry
    specs = tuple(parse(Fields(where, f"{section}[{i}]", item, index=i)) for i, item in enumerate(entries))
    _unique(where, section, [spec.name for spec in specs])
    if sum(1 for spec in specs if spec.default) > 1:
        raise FieldError(where, section, "marks more than one entry as default")
    return specs


def parse_bundle(data: object, where: str = "bundle") -> Bundle:
    """Validate a decoded bundle object (a section no registered provider knows is an error naming it)."""
    sections = registry.provider_keys()
    fields = Fields(where, "", data)
    fields.unknown({"version", *sections})
    version = fields.data.get("version")
    if version != BUNDLE_VERSION:
        raise BundleError(
            f"{where}: version {version!r} is not supported; this jupyter_qcred reads bundle version "
            f"{BUNDLE_VERSION}. Update jupyter_qcred on the hub and in the user image to the same release."
        )
    lists = {}
    for section in sections:
        value = fields.data.get(section, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise FieldError(where, section, f"must be a list, not {kind(value)}")
        lists[section] = value
    return Bundle({section: parse_section(section, lists[section], where) for section in sections})


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

    # A bundle names only the sections that hold something, so a hub that hands over IBM and QCS only still
    # produces a bundle an older jupyter_qcred (which knows fewer sections) accepts.
    data: dict[str, Any] = {"version": BUNDLE_VERSION}
    for key, specs in bundle.sections().items():
        data[key] = [clean(spec) for spec in specs]
    return json.dumps(data)


#: Names this module had before the providers' sections moved into their packages (jupyterhub_config.py files
#: import them to build a bundle in their own mapper): each resolves to its provider's ``spec`` module.
_MOVED = {
    "IbmAccountSpec": "ibm",
    "IBM_CHANNELS": "ibm",
    "DEFAULT_IBM_NAMES": "ibm",
    "QcsProfileSpec": "qcs",
    "QCS_REFRESH_PATHS": "qcs",
    "QCS_HANDOFFS": "qcs",
}


def __getattr__(name: str) -> Any:
    """The moved names, found through the registered provider's package (never imported by core itself)."""
    if name in _MOVED:
        package = registry.provider_class(_MOVED[name]).__module__.rsplit(".", 1)[0]
        return getattr(importlib.import_module(f"{package}.spec"), name)
    if name == "SECTIONS":
        return registry.provider_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
