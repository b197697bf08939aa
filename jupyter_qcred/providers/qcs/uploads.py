"""What an uploaded QCS file may change: the rules of an upload, apart from how it is written (:mod:`.writer`).

An upload is data from someone else (a colleague, a course, a tutorial), so it may add profiles and credentials but:

- it never adds a command for the SDK to run (``externally_managed``: the SDK runs it in every kernel);
- it never names jupyter_qcred's internal entries (``jupyter_qcred-*``: the hand-off's real tokens);
- its URLs are https, or http on loopback only (:func:`~jupyter_qcred.core.validation.web_url`);
- it never makes an existing credential's tokens go to a host that credential is not used with now (its
  profiles' API and gRPC URLs and its auth server's issuer): a new profile naming ``credentials_name = "default"``
  with its own ``api_url`` would otherwise receive alice's access token, and a changed issuer her refresh token;
- an existing profile or auth server it changes goes through the "Replace it?" step; identical content is no change;
- the hosts it would send tokens to that neither Rigetti nor the user's files use yet are shown to the user first.

Everything here reads documents in memory and never writes; sentences name the file and the field, never a value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from ...core import files
from ...core.errors import FieldError, FileFormatError, QCredError, UploadRefusedError
from ...core.hosts import host_of, new_hosts
from ...core.validation import web_url
from . import store
from .fasttoken import MANAGED_PREFIX
from .model import Profile, QcsSecrets, QcsSettings, dotted, parse_toml, secrets_from_document, settings_from_document

#: Rigetti's own hosts (the SDK's defaults): tokens go there without asking.
QCS_HOSTS = frozenset({"api.qcs.rigetti.com", "grpc.qcs.rigetti.com", "auth.qcs.rigetti.com"})
#: The profile keys whose URLs receive the credential's access token (``applications.pyquil``'s QVM and quilc
#: URLs are local services the SDK sends no token to, and quilc's is ``tcp://``, so they are not checked here).
TOKEN_URL_KEYS = ("api_url", "grpc_api_url")
_NOTHING = "; nothing was written."


@dataclasses.dataclass(frozen=True)
class SettingsReview:
    """What an uploaded ``settings.toml`` would do to ours."""

    #: Profiles the upload adds or changes (identical ones are no change).
    names: list[str]
    #: Existing entries it changes, as (what, name): ("profile", "lab"), ("auth server", "default").
    replaces: list[tuple[str, str]]
    #: Hosts it would send tokens to that neither Rigetti nor our files use now.
    hosts: list[str]


def profile_hosts(settings: QcsSettings, profile: Profile) -> set[str]:
    """Every host a profile's credential goes to: its API and gRPC URLs (access token), its issuer (refresh token)."""
    hosts = {host_of(profile.api_url), host_of(profile.grpc_api_url)}
    server = settings.auth_servers.get(profile.auth_server_name)
    if server is not None:
        hosts.add(host_of(server.issuer))
    return hosts


def hosts_in_use(settings: QcsSettings) -> set[str]:
    """Every host our settings name now (profiles, with or without credentials yet, and auth servers)."""
    hosts: set[str] = set()
    for profile in settings.profiles.values():
        hosts |= profile_hosts(settings, profile)
    hosts |= {host_of(server.issuer) for server in settings.auth_servers.values()}
    return hosts


def credential_hosts(settings: QcsSettings, credential: str) -> set[str]:
    """The hosts ``credential``'s tokens go to now: those of every profile that uses it."""
    hosts: set[str] = set()
    for profile in settings.profiles.values():
        if profile.credentials_name == credential:
            hosts |= profile_hosts(settings, profile)
    return hosts


def refuse_internal(label: Path, field: str, name: str) -> None:
    """Nothing uploaded may name the hand-off's entries, which hold the real tokens only jupyter_qcred reads."""
    if name.startswith(MANAGED_PREFIX):
        raise UploadRefusedError(
            f"The uploaded {label.name} names {name!r} ({field}): names starting with {MANAGED_PREFIX!r} belong to "
            f"jupyter_qcred's own hand-off of your tokens and no upload may change them{_NOTHING} Rename the entry "
            "in the file and upload it again."
        )


def review_secrets(label: Path, document: Mapping[str, Any], uploaded: QcsSecrets) -> None:
    """Refuse a ``secrets.toml`` that adds a command for the SDK to run or names an internal entry."""
    tables = document.get("credentials")
    for name in uploaded.credentials:
        refuse_internal(label, dotted("credentials", name), name)
        table = tables.get(name) if isinstance(tables, Mapping) else None
        if isinstance(table, Mapping) and "externally_managed" in table:
            raise UploadRefusedError(
                f"The uploaded {label.name} holds {dotted('credentials', name, 'externally_managed')}: the QCS SDK "
                f"would run its command in every notebook that loads this credential, so no upload may add one"
                f"{_NOTHING} Upload the secrets.toml with tokens (token_payload) from the QCS tokens page instead."
            )


def merge_settings(settings_doc: tomlkit.TOMLDocument, document: Mapping[str, Any]) -> list[str]:
    """Merge an uploaded settings document's auth servers and profiles into ours (same names replaced); returns the
    profiles merged. The implicit defaults are written explicitly first, so merging never drops them."""
    store.keep_implicit_defaults(settings_doc)
    names: list[str] = []
    for section in ("auth_servers", "profiles"):
        entries = document.get(section)
        if isinstance(entries, Mapping):
            merged = store.merge_entries(settings_doc, section, dict(entries))
            if section == "profiles":
                names = merged
    return names


def review_settings(
    label: Path, document: tomlkit.TOMLDocument, ours: tomlkit.TOMLDocument, ours_path: Path, credentials: set[str]
) -> SettingsReview:
    """Check an uploaded ``settings.toml`` against ours (``credentials``: the credentials in our secrets now).

    Raises :class:`UploadRefusedError` for what no upload may do; returns what the user is asked about.
    """
    uploaded = settings_from_document(document, label)
    _refuse_names_and_urls(label, document, uploaded)
    before = settings_from_document(ours, ours_path)
    merged = tomlkit.parse(tomlkit.dumps(ours))
    merge_settings(merged, document)
    after = settings_from_document(merged, ours_path)
    for credential in sorted(credentials):
        if credential.startswith(MANAGED_PREFIX):
            continue
        moved = credential_hosts(after, credential) - credential_hosts(before, credential)
        if moved:
            raise UploadRefusedError(_moved_sentence(label, credential, sorted(moved), after))
    replaces: list[tuple[str, str]] = []
    for name in names_in(document, "auth_servers"):
        if name in before.auth_servers and before.auth_servers[name] != after.auth_servers.get(name):
            replaces.append(("auth server", name))
    names = []
    for name in names_in(document, "profiles"):
        if name not in before.profiles or before.profiles[name] != after.profiles.get(name):
            names.append(name)
        if name in before.profiles and before.profiles[name] != after.profiles.get(name):
            replaces.append(("profile", name))
    hosts = new_hosts(hosts_in_use(after), hosts_in_use(before), QCS_HOSTS)
    return SettingsReview(names, replaces, hosts)


def readable(path: Path, *, settings: bool = False) -> tomlkit.TOMLDocument:
    """One of our files to check an upload against; one that does not parse counts as empty (the upload, being a
    re-initialization, will keep it as a backup and replace it)."""
    try:
        document = parse_toml(files.read_text(path) or "", path)
        (settings_from_document if settings else secrets_from_document)(document, path)
        return document
    except (FileFormatError, FieldError):
        return tomlkit.document()


def names_in(document: Mapping[str, Any], section: str) -> list[str]:
    """The entry names of ``[section.NAME]`` tables (none when the section is missing or not a table)."""
    entries = document.get(section)
    return [str(name) for name in entries] if isinstance(entries, Mapping) else []


def _refuse_names_and_urls(label: Path, document: Mapping[str, Any], uploaded: QcsSettings) -> None:
    """No internal names; every URL a token goes to is https, or http on loopback only."""
    for name in names_in(document, "auth_servers"):
        refuse_internal(label, dotted("auth_servers", name), name)
        _web(label, dotted("auth_servers", name, "issuer"), uploaded.auth_servers[name].issuer)
    for name in names_in(document, "profiles"):
        refuse_internal(label, dotted("profiles", name), name)
        profile = uploaded.profiles[name]
        refuse_internal(label, dotted("profiles", name, "credentials_name"), profile.credentials_name)
        for key in TOKEN_URL_KEYS:
            _web(label, dotted("profiles", name, key), getattr(profile, key))


def _web(label: Path, field: str, url: str) -> None:
    if not web_url(url):
        raise UploadRefusedError(
            f"The uploaded {label.name} sets {field} to an address that is not https (or http on this computer "
            f"only): the QCS SDK sends your tokens there{_NOTHING} Fix that URL in the file and upload it again."
        )


def _moved_sentence(label: Path, credential: str, hosts: list[str], after: QcsSettings) -> str:
    users = sorted(name for name, profile in after.profiles.items() if profile.credentials_name == credential)
    return (
        f"The uploaded {label.name} would send the tokens of your QCS credential {credential!r} to "
        f"{', '.join(hosts)} (profile {', '.join(map(repr, users))}), which that credential is not used "
        f"with now{_NOTHING} An upload never points an existing credential at another host: give the file's profile "
        "a credentials_name of its own and upload its secrets.toml, or sign in to it with the login."
    )


def check_kind(filename: str, document: tomlkit.TOMLDocument) -> str:
    """``secrets`` or ``settings``, by the file's name and its tables (a secrets.toml holds only credentials)."""
    keys = set(document)
    if "secret" in filename or (keys and keys <= {"credentials"}):
        if keys - {"credentials"}:
            raise FieldError(filename, sorted(keys - {"credentials"})[0], "does not belong in a secrets.toml")
        return "secrets"
    if "setting" in filename or keys & {"profiles", "auth_servers", "default_profile_name"}:
        if "credentials" in keys:
            raise FieldError(filename, "credentials", "belongs in secrets.toml, not settings.toml")
        return "settings"
    raise QCredError(
        f"{filename}: this is neither a QCS secrets.toml (with [credentials...]) nor a settings.toml (with "
        "[profiles...]); upload the file downloaded from the QCS tokens page."
    )
