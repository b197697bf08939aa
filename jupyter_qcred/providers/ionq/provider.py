"""IonQ API keys in the ``.env`` file qiskit-ionq reads, checked with IonQ's ``GET /whoami``.

qiskit-ionq 1.1 (``helpers.resolve_credentials``) takes the key from python-dotenv's ``dotenv_values()`` first, then
from the environment, each in the order ``QISKIT_IONQ_API_TOKEN``, ``IONQ_API_KEY``, ``IONQ_API_TOKEN``, and the URL
from ``QISKIT_IONQ_API_URL`` / ``IONQ_API_URL`` (default ``https://api.ionq.co/v0.4``): any of those names in the
``.env`` it finds beats every environment variable. python-dotenv 1.2 reads ONE ``.env``, the first it finds going up
from where it starts: in a notebook, ``python -c`` or under a debugger the working folder, so ``~/.env`` serves
notebooks under the home folder unless a nearer ``.env`` exists — even one without an IonQ key, which then hides
``~/.env``; in ``python script.py`` qiskit_ionq's own install folder, so a script never finds ``~/.env`` (unless the
environment lives under the home folder). Hence the server also hands its kernels and terminals ``IONQ_API_KEY``
(:meth:`IonqProvider.exported_environment`), and ``doctor`` names the ``.env`` that shadows the key
(:mod:`.doctor`; both are tested with the real SDK in tests/sdk/test_doctor.py).

What a key check can tell: IonQ keys do not expire and carry nothing readable, so the only way to know whether a key
works is to ask. ``GET /whoami`` answers 200 with the key's name and project for a key IonQ accepts now, and 401 for
one it does not know or that was revoked. It says nothing about the key's quota, its permissions on a given
backend, or whether it will still work tomorrow: the state is "ok" until a check is refused ("needs_reinit").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...core import files, flows
from ...core.errors import FieldError, FileFormatError, QCredError, RefusedError
from ...core.flows import Flow
from ...core.states import CredentialStatus, absent, fingerprint
from ...core.validation import line_problem, url_problem
from ..shared import editing
from ..shared.checks import status_from_checks
from ..shared.linefile import LineFile
from ..shared.specprovider import SpecProvider
from .spec import KEY_NAME, IonqKeySpec, parse_entry

if TYPE_CHECKING:
    from ...core.secrets import Secret, TokenFormat

log = logging.getLogger("jupyter_qcred.ionq")

PROVIDER = "ionq"
#: The names qiskit-ionq reads, in its order of preference.
KEY_VARIABLES = ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN")
URL_VARIABLES = ("QISKIT_IONQ_API_URL", "IONQ_API_URL")
DEFAULT_URL = "https://api.ionq.co/v0.4"
REINIT_ADVICE = "create a new key at cloud.ionq.com (API Keys) and paste it, or re-initialize from JupyterHub."
NOTE = (
    "IonQ API keys do not expire; a check tells whether IonQ accepts the key now (not revoked) and which project "
    "it belongs to, nothing about quotas or backends."
)


def whoami_flow(url: str, key: str) -> Flow[dict[str, Any]]:
    """``GET {url}/whoami`` with the key: the key's name and project, or :class:`RefusedError` for a 401/403."""
    what = f"the API at {url.split('://', 1)[-1].split('/', 1)[0]}"
    headers = {"Authorization": f"apiKey {key}", "Accept": "application/json"}
    response = yield flows.request("GET", url.rstrip("/") + "/whoami", headers=headers)
    if response.status_code in (401, 403):
        raise RefusedError(
            PROVIDER, f"{what} does not accept this API key (HTTP {response.status_code}); {REINIT_ADVICE}"
        )
    body = flows.require(flows.expect_ok(response, PROVIDER, what), PROVIDER, what, "key_name")
    return {key: body.get(key) for key in ("key_name", "key_id", "project_id")}


class IonqProvider(SpecProvider):
    """The IonQ API key qiskit-ionq finds (see the module docstring)."""

    key: ClassVar[str] = PROVIDER
    title: ClassVar[str] = "IonQ"
    noun: ClassVar[str] = "key"
    methods: ClassVar[tuple[str, ...]] = ("token", "upload")
    download_hint: ClassVar[str] = (
        "create a key at cloud.ionq.com (API Keys) and upload a .env file with the line IONQ_API_KEY=<key>"
    )
    order: ClassVar[int] = 30
    parse_entry = staticmethod(parse_entry)

    @property
    def path(self) -> Path:
        """The ``.env`` file we keep the key in: ``$QCRED_IONQ_DOTENV`` or ``~/.env``."""
        return Path(self.settings.environ.get("QCRED_IONQ_DOTENV") or self.settings.home / ".env")

    def watched_paths(self) -> list[Path]:
        return [self.path]

    def _document(self) -> LineFile:
        return LineFile(files.read_text(self.path), where=str(self.path))

    def _found(self, document: LineFile | None = None) -> tuple[str | None, str, str]:
        """(key, url, source) as qiskit-ionq would resolve them from our file (``document`` when already read) and
        the environment."""
        document = self._document() if document is None else document
        env = self.settings.environ
        key = next((document.get(name) for name in KEY_VARIABLES if document.get(name)), None)
        source = "file"
        if key is None:
            key, source = next((env[name] for name in KEY_VARIABLES if env.get(name)), None), "env"
        url = next(
            (v for v in [*(document.get(n) for n in URL_VARIABLES), *(env.get(n) for n in URL_VARIABLES)] if v), None
        )
        return key, url or DEFAULT_URL, source

    def read(self) -> list[CredentialStatus]:
        try:
            key, url, source = self._found()
        except QCredError as exc:
            return [absent(PROVIDER, self.path, str(exc))]
        if key is None:
            return [
                absent(
                    PROVIDER,
                    self.path,
                    "No IonQ API key: paste one (cloud.ionq.com, API Keys), upload a .env file, or set IONQ_API_KEY.",
                )
            ]
        status = status_from_checks(
            PROVIDER,
            KEY_NAME,
            key,
            self.checks,
            file=self.path if source == "file" else None,
            source=source,
            account={"url": url, "expires": "never", "note": NOTE},
        )
        account = status.account
        checked = account.get("key_name")
        account["summary"] = f"key {checked!r}, project {account.get('project_id')}" if checked else "not checked yet"
        account["fields"] = [
            ["Key", f"{checked} (project {account.get('project_id')})" if checked else "not checked yet"],
            ["API", url],
            ["Expires", "never: a check only tells whether IonQ accepts the key now"],
        ]
        return [status]

    async def refresh(self, name: str, *, force: bool = False) -> CredentialStatus:
        """Check the key with IonQ (there is nothing to renew: the key does not expire)."""
        key, url, _source = self._found()
        if key is None or name != KEY_NAME:
            raise QCredError(f"There is no IonQ API key named {name!r}.")
        problem = url_problem(url)
        if problem:  # the user's own .env or environment: qiskit-ionq would send it there too, we will not
            raise QCredError(
                f"IonQ: the API URL (IONQ_API_URL in {self.path} or the environment) {problem}, so the key was not "
                "checked; fix or remove IONQ_API_URL."
            )
        try:
            account = await self.client.arun(whoami_flow(url, key))
        except RefusedError as exc:
            self.checks.refuse(name, key, str(exc))
            raise
        self.checks.accepted(name, {**account, "fingerprint": fingerprint(key)})
        return self.read()[0]

    def materialize(self, specs: Sequence[Any], *, source: str, reinit: bool = False) -> list[str]:
        """Write the key (and URL) into ``.env``: into every key variable already there (so none shadows ours),
        else ``IONQ_API_KEY``; every other line is kept."""
        if not specs:
            return []
        spec: IonqKeySpec = specs[0]
        where = str(self.path)
        with editing.edit(
            self.settings,
            self.path,
            lambda text: LineFile(text, where=where),
            lambda: LineFile("", where=where),
            LineFile.text,
            reinit=reinit,
        ) as document:
            present = [name for name in KEY_VARIABLES if document.get(name)] or ["IONQ_API_KEY"]
            for name in present:
                document.set(name, spec.key)
            if spec.url:
                for name in [n for n in URL_VARIABLES if document.get(n)] or ["IONQ_API_URL"]:
                    document.set(name, spec.url)
        self.checks.forget(KEY_NAME)
        log.info("IonQ: wrote the API key into %s (from %s)", self.path, source)
        return [KEY_NAME]

    def set_default(self, name: str, instance: str | None = None) -> None:
        if name != KEY_NAME:
            raise QCredError(f"IonQ has one API key ({KEY_NAME!r}); there is no {name!r} to make the default.")

    def upload_specs(self, filename: str, content: str) -> list[Any]:
        """A ``.env`` file holding one of qiskit-ionq's key variables (or the bare key pasted as a file); the key must
        fit on one ``.env`` line and the URL (if any) be https, or http on loopback: FieldError naming it otherwise."""
        where = Path(filename).name or "uploaded file"
        document = LineFile(content, where=where)
        variable = next((name for name in KEY_VARIABLES if document.get(name)), None)
        key = document.get(variable) if variable else None
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        if key is None and len(lines) == 1 and "=" not in lines[0] and " " not in lines[0]:
            variable, key = "key", lines[0]
        if key is None:
            raise FileFormatError(where, f"holds no IonQ key ({', '.join(KEY_VARIABLES)})")
        problem = line_problem(key)
        if problem:
            raise FieldError(where, variable or "key", problem)
        url_variable = next((n for n in URL_VARIABLES if document.get(n)), None)
        url = document.get(url_variable) if url_variable else None
        problem = url_problem(url) if url_variable else None
        if problem:
            raise FieldError(where, url_variable or "url", problem)
        return [IonqKeySpec(key=key, url=url)]

    def upload_hosts(self, filename: str, content: str) -> list[str]:
        """The API host an uploaded ``.env`` names (``IONQ_API_URL``) when it is neither IonQ's own nor the one the
        key already goes to: the uploaded key is checked there before anything is written, so the user confirms it."""
        try:
            current = self._found()[1]
        except QCredError:
            current = DEFAULT_URL
        from ...core.hosts import host_of, new_hosts

        in_use = {host_of(DEFAULT_URL)} | ({host_of(current)} if url_problem(current) is None else set())
        wanted = {host_of(spec.url) for spec in self.upload_specs(filename, content) if spec.url}
        return new_hosts(wanted, in_use, ())

    async def check_specs(self, specs: Sequence[Any]) -> list[Any]:
        """Ask IonQ's ``/whoami`` about the key before it is written (at the URL it comes with, else ours)."""
        for spec in specs:
            await self.client.arun(whoami_flow(spec.url or self._found()[1], spec.key))
        return list(specs)

    def remove(self, name: str) -> list[Path]:
        """Take every key variable qiskit-ionq reads out of ``.env``; every other line (the URL too) is kept."""
        if name != KEY_NAME:
            raise QCredError(f"IonQ has one API key ({KEY_NAME!r}); there is no {name!r} to remove.")
        with files.locked(self.path, self.settings.lock_timeout):
            document = self._document()
            if not any(document.get(variable) for variable in KEY_VARIABLES):
                return []
            for variable in KEY_VARIABLES:
                document.set(variable, None)
            files.atomic_write(self.path, document.text())
        self.checks.forget(KEY_NAME)
        self.checks.accounts.pop(KEY_NAME, None)
        log.info("IonQ: removed the API key from %s", self.path)
        return [self.path]

    def pasted(self, data: Mapping[str, Any]) -> list[Any]:
        """The key a person pasted (and the API URL, if they typed one): validated like a bundle entry, so a key
        that would break ``~/.env`` or a URL that is not https (or http on loopback) is a 400 naming the field."""
        token = str(data.get("token") or data.get("key") or "").strip()
        if not token:
            raise QCredError("Paste your IonQ API key (cloud.ionq.com, API Keys) into the 'token' field.")
        where = "The IonQ key you entered"
        problem = line_problem(token)
        if problem:
            raise FieldError(where, "token", problem)
        url = str(data.get("url") or "").strip() or None
        problem = url_problem(url) if url is not None else None
        if problem:
            raise FieldError(where, "url", problem)
        return [IonqKeySpec(key=token, url=url)]

    def exported_environment(self) -> list[tuple[tuple[str, ...], str, str | None]]:
        """What the Jupyter server hands its kernels and terminals (:mod:`jupyter_qcred.server.exports`), as
        (guards, name, value): ``IONQ_API_KEY`` (and ``IONQ_API_URL``) from our file, so that scripts (whose
        python-dotenv search starts in qiskit_ionq's install folder) and notebooks outside the home folder find the
        key too. The environment is qiskit-ionq's LAST source, so this never beats a ``.env``; and the server sets
        nothing when any guard variable was set in its own environment (a key set on purpose)."""
        try:
            document = self._document()
            key, _url, source = self._found(document)
        except QCredError:
            return []
        if source != "file":
            key = None  # the key comes from the environment already (or there is none)
        file_url = next((v for v in (document.get(n) for n in URL_VARIABLES) if v), None) if key else None
        return [(KEY_VARIABLES, "IONQ_API_KEY", key), (URL_VARIABLES, "IONQ_API_URL", file_url)]

    def environment_specs(self) -> list[Any]:
        env = self.settings.environ
        key = next((env[name] for name in KEY_VARIABLES if env.get(name)), None)
        url = next((env[name] for name in URL_VARIABLES if env.get(name)), None)
        return [IonqKeySpec(key=key, url=url)] if key else []

    # ----- the leak guard: :mod:`.leaks` ------------------------------------------------------------------------

    def secret_values(self) -> list[Secret]:
        from . import leaks

        return leaks.values(self)

    def token_formats(self) -> list[TokenFormat]:
        from . import leaks

        return list(leaks.FORMATS)
