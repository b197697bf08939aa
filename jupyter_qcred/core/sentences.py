"""The sentences every view shows for an operation, written once: the ``result`` of an operation, what a
credential is called, and what the upload dialog says about a file that is not a credentials file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import FileFormatError, ProviderError, QCredError, RefusedError
from .registry import download_hint, noun, title
from .states import CredentialStatus


def outcome_of(statuses: Iterable[CredentialStatus], done: str = "Refreshed.") -> dict[str, Any]:
    """The ``result`` of an operation from the statuses it left: one sentence for every view to show (``done``
    when every credential came out fine, else what went wrong with each)."""
    credentials = []
    problems = []
    statuses_seen = list(statuses)
    for status in statuses_seen:
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
        # Checked fine, yet not usable as it stands (an IBM account naming no instance where the SDK needs one): the
        # operation succeeded, and its sentence says what the card says, so no view calls it simply done.
        attention = [
            status.error or status.state
            for status in statuses_seen
            if status.action_needed() and (status.last_refresh or {}).get("outcome", "ok") == "ok"
        ]
        if attention:
            return {
                "outcome": "ok",
                "message": " ".join([done, *attention]),
                "credentials": credentials,
                "attention": True,
            }
        return {"outcome": "ok", "message": done, "credentials": credentials}
    outcome = "refused" if any(kind == "refused" for kind, _ in problems) else "failed"
    return {"outcome": outcome, "message": " ".join(text for _, text in problems), "credentials": credentials}


def kind_of(provider: str) -> str:
    """What one credential of ``provider`` is called: an IBM account, a QCS profile, the IonQ key."""
    return noun(provider)


def article(word: str) -> str:
    """``word`` with "a" or "an" (by its first letter: good enough for the providers' names)."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def upload_sentence(provider: str, filename: str, exc: QCredError) -> str:
    """What the upload dialog says about a file that is not a credentials file of ``provider``: what it is not and
    where to get the right one (not the advice for a broken file on disk, which is about the user's own files)."""
    name = filename.rsplit("/", 1)[-1] or "the uploaded file"
    detail = exc.detail if isinstance(exc, FileFormatError) else str(exc).rstrip(".")
    line = f", line {exc.line}" if isinstance(exc, FileFormatError) and exc.line else ""
    return (
        f"This file ({name}) is not {article(title(provider))} credentials file: {detail}{line}. Nothing was "
        "changed; "
        f"{download_hint(provider)} and upload that."
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
