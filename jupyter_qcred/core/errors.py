"""Errors a user can meet, each one a sentence that says what happened and what to do.

Messages never contain a secret: they name files, fields and providers, never values. Code that formats an error
from a provider's answer must go through :func:`describe_response`, which keeps only the status and the
provider's own error code.
"""

from __future__ import annotations

from pathlib import Path


def title(provider: str) -> str:
    """The provider's name for people (imported late: the registry's own errors are these)."""
    from .registry import title as name

    return name(provider)


class QCredError(Exception):
    """Base of every error jupyter_qcred raises on purpose; ``str(error)`` is fit to show to a user."""


class FileFormatError(QCredError):
    """A credentials file exists but cannot be parsed; it is left untouched."""

    def __init__(self, path: Path | str, detail: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.detail = detail
        where = f"{self.path}" + (f", line {line}" if line else "")
        super().__init__(
            f"{where}: {detail}. The file was left unchanged; fix it by hand, or re-initialize the "
            "credentials (the broken file is then kept as a timestamped backup)."
        )


class FieldError(QCredError):
    """A value has the wrong type or shape (in a bundle, a file or a request)."""

    def __init__(self, where: str, field: str, expected: str) -> None:
        self.where = where
        self.field = field
        self.expected = expected
        super().__init__(f"{where}: field {field!r} {expected}.")


class ProviderError(QCredError):
    """A provider's service could not give us what we asked for."""

    #: True when trying again later may help (network, 5xx, timeout, garbage).
    transient = True

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(f"{title(provider)}: {message}")


class TransientProviderError(ProviderError):
    """Network trouble, a 5xx, a timeout or an answer we cannot read: retried with backoff."""


class RefusedError(ProviderError):
    """The provider refused the refresh token or API key: only a new login (re-initialize) helps."""

    transient = False


class BusyError(QCredError):
    """Too many of something are in progress (logins waiting for a browser): try again later (REST answers 429)."""


class LockTimeoutError(QCredError):
    """Another process held a credentials lock for too long."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path}: another process has held this lock too long. If no jupyter_qcred or SDK process is "
            "refreshing right now, delete the lock file and try again."
        )


# ----- what the service layer answers (each a REST status) ------------------------------------------------


class InputError(QCredError):
    """The user's input cannot be used (REST answers 400)."""


class UnavailableError(QCredError):
    """What was asked for does not exist here, e.g. a restart without JupyterHub (REST answers 409)."""


class NotFoundError(QCredError):
    """There is no such credential (REST answers 404)."""


class ExistsError(QCredError):
    """A credential of that name exists and the request did not ask to replace it (REST answers 409 with
    ``reason: "exists"``, the provider and the name, so a view can offer "replace" or another name)."""

    def __init__(self, provider: str, name: str, noun: str | None = None) -> None:
        self.provider, self.name = provider, name
        if noun is None:
            from .registry import noun as noun_of

            noun = noun_of(provider)
        super().__init__(f"The {title(provider)} {noun} {name!r} already exists; choose another name or replace it.")


class UploadRefusedError(InputError):
    """An upload asks for what no upload may do: point an existing credential's tokens at another host, add a
    command for an SDK to run, or touch jupyter_qcred's internal entries. Not confirmable (REST answers 400); the
    sentence names the file and the field, and says that nothing was written."""


class HostsError(QCredError):
    """An upload would send tokens to hosts the user has not seen yet (REST answers 409 with ``reason: "hosts"``,
    the provider and the hosts, so a view shows them and asks before anything is written or sent)."""

    def __init__(self, provider: str, filename: str, hosts: list[str]) -> None:
        self.provider, self.hosts = provider, list(hosts)
        name = filename.rsplit("/", 1)[-1] or "the uploaded file"
        listed = ", ".join(self.hosts)
        super().__init__(
            f"This file ({name}) sends your {title(provider)} tokens to {listed}. Only continue if you trust "
            f"{'this host' if len(self.hosts) == 1 else 'these hosts'}; nothing was written or sent yet."
        )


class ForbiddenError(QCredError):
    """The hub does not allow this server to do it, e.g. a token without the restart scope (REST answers 403)."""


def describe_response(status_code: int, body: object) -> str:
    """A short, secret-free description of an error answer: the status and the provider's error code only."""
    code = None
    if isinstance(body, dict):
        for key in ("error", "errorCode", "code"):
            value = body.get(key)
            if isinstance(value, str) and len(value) <= 64:
                code = value
                break
            if isinstance(value, dict):
                inner = value.get("code") or value.get("name")
                if isinstance(inner, str | int):
                    code = str(inner)
                    break
    return f"HTTP {status_code}" + (f": {code}" if code else "")
