"""qBraid API keys in ``~/.qbraid/qbraidrc``, the file qbraid 0.13 (qbraid-core 0.6) reads, checked with qBraid's
``GET /users/verify`` before anything is written.

What qbraid-core reads is in :mod:`.rc` (the ``[default]`` section's ``api-key`` before ``QBRAID_API_KEY``; an
``access-token`` shadows the key; the URL from ``QBRAID_API_URL``, the key's own host, ``url`` or the default). We
write ``api-key`` (and ``url`` when one is given) into ``[default]`` with :class:`~..shared.rcdocument.RcDocument`,
so other profiles (``[work]``, ``[DEFAULT]``), unknown keys (``organization``, ``workspace``, ``email``, ``cloud``)
and comments stay byte for byte; the file is 0600 in a 0700 folder.

What a check can tell: qBraid keys do not expire and carry nothing readable (a white-label key carries its API host,
nothing more), so the only way to know whether a key works is to ask. ``/users/verify`` answers with the user's
e-mail and organization for a key qBraid accepts now, 401 otherwise; the credit balance comes from
``/billing/credits/balance`` when the API gives it. There is nothing to renew: the state is "ok" until a check is
refused ("needs_reinit").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core import files
from ...core.errors import FieldError, FileFormatError, QCredError, RefusedError
from ...core.states import CredentialStatus, State, absent, fingerprint
from ...core.validation import line_problem, url_problem
from ..shared import editing
from ..shared.checks import status_from_checks
from ..shared.rcdocument import RcDocument
from ..shared.specprovider import SpecProvider
from . import rc
from .api import account_flow
from .spec import KEY_NAME, PERCENT, QbraidKeySpec, parse_entry

if TYPE_CHECKING:
    from ...core.doctor import Probe
    from ...core.secrets import Secret, TokenFormat

log = logging.getLogger("jupyter_qcred.qbraid")

PROVIDER = "qbraid"
NOTE = (
    "qBraid API keys do not expire; a check tells whether qBraid accepts the key now (not revoked), whose account "
    "it is and, when the API gives it, the organization's credit balance."
)


class QbraidProvider(SpecProvider):
    """The qBraid API key qbraid-core finds in qbraidrc (see the module docstring)."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "qBraid"
    noun: ClassVar[str] = "key"
    methods: ClassVar[tuple[str, ...]] = ("token",)
    download_hint: ClassVar[str] = "create a key at account.qbraid.com (API Keys) and paste it"
    order: ClassVar[int] = 80
    sandbox: ClassVar[str | None] = "jupyter_qcred.providers.qbraid.sandbox:STAND_IN"
    parse_entry = staticmethod(parse_entry)

    @property
    def path(self) -> Path:
        """``$QBRAID_CONFIG_FILE`` or ``~/.qbraid/qbraidrc``: the file qbraid-core reads."""
        return rc.config_path(self.settings.environ, self.settings.home)

    def watched_paths(self) -> list[Path]:
        return [self.path]

    def _options(self) -> dict[str, str]:
        """``[default]`` as qbraid-core reads it (FileFormatError naming the file)."""
        return rc.read_options(files.read_text(self.path), self.path)

    def _found(self, key: str | None = None) -> rc.Resolved:
        return rc.resolve(self._options(), self.settings.environ, key)

    def read(self) -> list[CredentialStatus]:
        try:
            found = self._found()
        except FileFormatError as exc:
            return [CredentialStatus(provider=PROVIDER, name=None, state=State.ERROR, error=str(exc), file=self.path)]
        except QCredError as exc:
            return [absent(PROVIDER, self.path, str(exc))]
        if found.key is None:
            return [
                absent(
                    PROVIDER,
                    self.path,
                    "No qBraid API key: paste one (account.qbraid.com, API Keys) or set QBRAID_API_KEY.",
                )
            ]
        status = status_from_checks(
            PROVIDER,
            KEY_NAME,
            found.key,
            self.checks,
            file=self.path if found.key_source == "file" else None,
            source=found.key_source or "file",
            account={"url": found.url, "expires": "never", "note": NOTE},
        )
        if found.token_source:
            where = f"access-token in {self.path}" if found.token_source == "file" else rc.TOKEN_VARIABLE
            status.warnings.append(
                f"qbraid-core sends the access token ({where}) instead of this API key; remove it to use the key."
            )
        account = status.account
        email, name, credits = account.get("email"), account.get("user_name"), account.get("credits")
        user = f"{email} ({name})" if email and name and name != email else email or name
        balance = f"{_amount(credits)} qBraid credits" if isinstance(credits, (int, float)) else None
        account["summary"] = ", ".join(part for part in (email or name, balance) if part) or "not checked yet"
        account["fields"] = [
            ["Account", user or "not checked yet"],
            *([["Credits", balance]] if balance else []),
            ["API", found.url],
            ["Expires", "never: a check only tells whether qBraid accepts the key now"],
        ]
        return [status]

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Check the key with qBraid (there is nothing to renew: the key does not expire)."""
        found = self._found()
        if found.key is None or name != KEY_NAME:
            raise QCredError(f"There is no qBraid API key named {name!r}.")
        problem = url_problem(found.url)
        if problem:  # the user's own setting: qbraid-core would send the key there too, we will not
            raise QCredError(
                f"qBraid: the API URL ({found.url_source}) {problem}, so the key was not checked; fix or remove it."
            )
        try:
            account = await self.client.arun(account_flow(found.url, found.key))
        except RefusedError as exc:
            self.checks.refuse(name, found.key, str(exc))
            raise
        self.checks.accepted(name, {**account, "fingerprint": fingerprint(found.key)})
        return self.read()[0]

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write the key (and URL) into qbraidrc's ``[default]``; every other line and section is kept."""
        if not specs:
            return []
        spec: QbraidKeySpec = specs[0]
        path = self.path
        with editing.edit(
            self.settings,
            path,
            lambda text: _checked(RcDocument(text, path), path),
            lambda: RcDocument("", path),
            lambda document: document.text,
            reinit=reinit,
        ) as document:
            values: dict[str, str | None] = {_option(document, "api-key"): spec.key}
            if spec.url:
                values[_option(document, "url")] = spec.url
            document.set_section(rc.SECTION, values)
        self.checks.forget(KEY_NAME)
        log.info("qBraid: wrote the API key into %s (from %s)", path, source)
        return [KEY_NAME]

    def set_default(self, name: str, instance: str | None = None) -> None:
        if name != KEY_NAME:
            raise QCredError(f"qBraid has one API key ({KEY_NAME!r}); there is no {name!r} to make the default.")

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Ask qBraid's ``/users/verify`` about the key before it is written, at the URL qbraid-core will send it to
        once written (``QBRAID_API_URL``, the key's own host, the given or stored ``url``, the default)."""
        for spec in specs:
            try:
                options = self._options()
            except FileFormatError:  # a paste replaces it (kept as a backup): qbraid-core's defaults then apply
                options = {}
            if spec.url:
                options["url"] = spec.url
            url = rc.resolve(options, self.settings.environ, spec.key).url
            problem = url_problem(url)
            if problem:
                raise QCredError(f"qBraid: the API URL the key would go to {problem}; the key was not checked.")
            await self.client.arun(account_flow(url, spec.key))
        return list(specs)

    def remove(self, name: str) -> list[Path]:
        """Take ``api-key`` out of ``[default]``; the URL, other keys and other profiles are kept."""
        if name != KEY_NAME:
            raise QCredError(f"qBraid has one API key ({KEY_NAME!r}); there is no {name!r} to remove.")
        path = self.path
        with files.locked(path, self.settings.lock_timeout):
            text = files.read_text(path)
            if not text:
                return []
            document = _checked(RcDocument(text, path), path)
            present = [k for k in document.values(rc.SECTION) if k.lower() == "api-key"]
            if not present:
                return []
            document.set_section(rc.SECTION, dict.fromkeys(present))
            files.atomic_write(path, document.text)
        self.checks.forget(KEY_NAME)
        self.checks.accounts.pop(KEY_NAME, None)
        log.info("qBraid: removed the API key from %s", path)
        return [path]

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """The key a person pasted (and the API URL, if they typed one), validated like a bundle entry."""
        token = str(data.get("token") or data.get("key") or "").strip()
        if not token:
            raise QCredError("Paste your qBraid API key (account.qbraid.com, API Keys) into the 'token' field.")
        where = "The qBraid key you entered"
        problem = line_problem(token) or (PERCENT if "%" in token else None)
        if problem:
            raise FieldError(where, "token", problem)
        url = str(data.get("url") or "").strip() or None
        problem = (url_problem(url) or (PERCENT if "%" in url else None)) if url is not None else None
        if problem:
            raise FieldError(where, "url", problem)
        return [QbraidKeySpec(key=token, url=url)]

    def environment_specs(self) -> list[Any]:
        key = self.settings.environ.get(rc.KEY_VARIABLE)
        return [QbraidKeySpec(key=key, url=self.settings.environ.get(rc.URL_VARIABLE))] if key else []

    def doctor_probe(self) -> Probe | None:
        from . import doctor

        return doctor.probe(self)

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)


def _amount(credits: float) -> str:
    """A balance as people read it: ``1,000``, ``250.5`` (never ``1e+06``)."""
    return f"{credits:,.2f}".rstrip("0").rstrip(".")


def _checked(document: RcDocument, path: Path) -> RcDocument:
    """The document, if qbraid-core reads it too (its own parser is not ours: lower-cased names, ``%``)."""
    rc.read_options(document.text, path)
    return document


def _option(document: RcDocument, name: str) -> str:
    """The spelling ``[default]`` already uses for ``name`` (qbraid-core lower-cases names: ``API-KEY`` is
    ``api-key``, and a second spelling would be a duplicate it refuses), else ``name``."""
    return next((k for k in document.values(rc.SECTION) if k.lower() == name), name)
