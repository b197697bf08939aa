"""What the service answers with: its errors (each REST status), the ``result`` of an operation, and the sentences
and input checks the operations share. Kept apart from :mod:`jupyter_qcred.core.service` so the operations read on
their own; the service re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..providers.registry import PROVIDER_NOUNS, title
from .bundle import BUNDLE_VERSION, IbmAccountSpec, parse_bundle
from .errors import FileFormatError, ProviderError, QCredError, RefusedError
from .states import CredentialStatus


class InputError(QCredError):
    """The user's input cannot be used (REST answers 400)."""


class UnavailableError(QCredError):
    """What was asked for does not exist here, e.g. a restart without JupyterHub (REST answers 409)."""


class NotFoundError(QCredError):
    """There is no such credential (REST answers 404)."""


class ExistsError(QCredError):
    """A credential of that name exists and the request did not ask to replace it (REST answers 409 with
    ``reason: "exists"``, the provider and the name, so a view can offer "replace" or another name)."""

    def __init__(self, provider: str, name: str) -> None:
        self.provider, self.name = provider, name
        super().__init__(
            f"The {title(provider)} {kind_of(provider)} {name!r} already exists; choose another name or replace it."
        )


def kind_of(provider: str) -> str:
    """What one credential of ``provider`` is called: an IBM account, a QCS profile, the IonQ key."""
    return PROVIDER_NOUNS.get(provider, "credential")


class ForbiddenError(QCredError):
    """The hub does not allow this server to do it, e.g. a token without the restart scope (REST answers 403)."""


def outcome_of(statuses: Iterable[CredentialStatus], done: str = "Refreshed.") -> dict[str, Any]:
    """The ``result`` of an operation from the statuses it left: one sentence for every view to show (``done``
    when every credential came out fine, else what went wrong with each)."""
    credentials = []
    problems = []
    for status in statuses:
        last = status.last_refresh or {}
        outcome = str(last.get("outcome") or ("ok" if status.error is None else "failed"))
        credentials.append(
            {"provider": status.provider, "name": status.name, "outcome": outcome, "error": status.error}
        )
        if outcome != "ok":
            error = status.error or "failed"
            # Provider errors already name the provider (and usually the account): say it once.
            named = (
                error
                if error.startswith(title(status.provider))
                else f"{title(status.provider)} {status.name!r}: {error}"
            )
            problems.append((outcome, named))
    if not credentials:
        return {"outcome": "ok", "message": "There was nothing to refresh.", "credentials": []}
    if not problems:
        return {"outcome": "ok", "message": done, "credentials": credentials}
    outcome = "refused" if any(kind == "refused" for kind, _ in problems) else "failed"
    return {"outcome": outcome, "message": " ".join(text for _, text in problems), "credentials": credentials}


def ibm_spec(data: Mapping[str, Any]) -> IbmAccountSpec:
    """The IBM account a person typed (API key or legacy token, channel, instance, name), validated by the same
    rules as a spawn bundle's accounts."""
    token = (data.get("token") or "").strip()
    if not token:
        raise InputError("Paste your IBM Quantum API key (or legacy API token) into the 'token' field.")
    entry: dict[str, Any] = {"token": token}
    entry.update({key: data[key] for key in ("name", "channel", "instance", "url") if data.get(key)})
    if entry.get("channel") == "ibm_quantum" and "instance" in entry:
        parts = entry.pop("instance").split("/")
        if len(parts) != 3 or not all(parts):
            raise InputError("For channel ibm_quantum the instance is hub/group/project.")
        entry.update(zip(("hub", "group", "project"), parts, strict=True))
    return parse_bundle({"version": BUNDLE_VERSION, "ibm": [entry]}, where="the account you entered").ibm[0]


def article(word: str) -> str:
    """``word`` with "a" or "an" (by its first letter: good enough for the providers' names)."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def upload_sentence(provider: str, filename: str, exc: QCredError) -> str:
    """What the upload dialog says about a file that is not a credentials file of ``provider``: what it is not and
    where to get the right one (not the advice for a broken file on disk, which is about the user's own files)."""
    from ..providers.registry import DOWNLOAD_HINTS

    name = filename.rsplit("/", 1)[-1] or "the uploaded file"
    detail = exc.detail if isinstance(exc, FileFormatError) else str(exc).rstrip(".")
    line = f", line {exc.line}" if isinstance(exc, FileFormatError) and exc.line else ""
    return (
        f"This file ({name}) is not {article(title(provider))} credentials file: {detail}{line}. Nothing was "
        "changed; "
        f"{DOWNLOAD_HINTS.get(provider, 'download it again from the provider')} and upload that."
    )


def not_saved(provider: str, name: str, exc: ProviderError) -> dict[str, Any]:
    """The ``result`` when the provider refused a credential or could not be asked: nothing was written."""
    refused = isinstance(exc, RefusedError)
    text = str(exc).rstrip(". ") + "."
    message = (
        f"{text} Nothing was saved."
        if refused
        else f"{text} It could not be checked, so nothing was saved; try again in a moment."
    )
    outcome = "refused" if refused else "failed"
    return {
        "outcome": outcome,
        "message": message,
        "credentials": [{"provider": provider, "name": name, "outcome": outcome, "error": message}],
    }
