"""The save guard: no credential value reaches a file saved through Jupyter (``c.QCredApp.save_guard``).

A contents-manager pre-save hook (``ContentsManager.register_pre_save_hook``: Jupyter Server runs the admin's own
``pre_save_hook`` first, then each registered one, and lets an ``HTTPError`` refuse the save). It looks at what is
about to be written, with the values every provider's SDK files hold now (:class:`~..core.secrets.SecretIndex`):

- a notebook's outputs (stream text, every mimetype's data, error values and tracebacks), its and its cells'
  metadata (widget state): the value becomes its label ``<IBM Quantum key ‘name’ …abcd>``;
- a Python code cell (or a ``.py`` file): a value in a plain string literal becomes a call that reads it from the
  SDK's files when the code runs (``jupyter_qcred.credential("ibm", "name", kind="key")``, :mod:`..core.rewrite`),
  so the code keeps working; a value elsewhere (a comment) becomes its label;
- markdown and raw cells, other languages' cells, other text files: the label.

``redact`` (the default) does that; ``refuse`` answers the save with a 400 whose sentence names the cell or line and
the credential, never the value; ``warn`` saves as it is; each reports to the service (the panel's notice and the
``secret_redacted`` event). The SDKs' own credentials files (each provider's ``watched_paths()``) are never
touched: editing ``~/.qiskit/qiskit-ibm.json`` in JupyterLab must still save it.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from tornado.web import HTTPError

from ..core import rewrite
from ..core.secrets import Secret, SecretIndex
from ..core.service import CredentialService

log = logging.getLogger("jupyter_qcred.server")

MODES = ("redact", "refuse", "warn", "off")
EVENT = "secret_redacted"
EVENT_FIELDS = ("provider", "name", "where", "what", "action", "count")
ACTION = {"redact": "redacted", "refuse": "refused", "warn": "warned"}


class Found:
    """What one save holds: (secret, place, what) in document order, for the sentence and the notices."""

    def __init__(self) -> None:
        self.items: list[tuple[Secret, str, str]] = []

    def add(self, hits: list[rewrite.Hit], place: Callable[[int], str], what: str) -> None:
        self.items += [(hit.secret, place(hit.line), what) for hit in hits]

    def add_secrets(self, secrets: list[Secret], place: str, what: str) -> None:
        self.items += [(secret, place, what) for secret in secrets]


class SaveGuard:
    """The pre-save hook of one server (see the module docstring). ``service`` resolves once the start-up thread has
    read the files; until then a save waits for it (the files must be known to be guarded)."""

    def __init__(self, mode: str, service: Future[CredentialService], timeout: float = 60.0) -> None:
        self.mode = mode
        self._service = service
        self._timeout = timeout
        self._index: SecretIndex | None = None
        self.__name__ = "jupyter_qcred_save_guard"  # Jupyter Server logs a failing hook by its __name__

    def _ready(self) -> tuple[CredentialService, SecretIndex]:
        service = self._service.result(timeout=self._timeout)
        if self._index is None:
            from ..core.rotated import RotatedValues

            # The server sees every refresh: the values it rotates away are remembered (as hashes) for the scan.
            self._index = SecretIndex(service.manager.providers.values(), RotatedValues.default())
        return service, self._index

    def __call__(self, model: dict[str, Any], path: str, contents_manager: Any = None, **_: Any) -> None:
        if self.mode == "off" or model.get("content") is None:
            return
        kind = model.get("type")
        if kind not in ("notebook", "file"):
            return
        uploaded = kind == "file" and model.get("format") == "base64"
        text = _uploaded_text(model) if uploaded else None
        if uploaded and text is None:  # a binary file, or one chunk of a large upload: not read
            return
        try:
            service, index = self._ready()
        except Exception as exc:  # the extension did not start: say so, and do not stop people saving
            log.error("jupyter_qcred: the save guard cannot check %s: no start-up (%s)", path, type(exc).__name__)
            return
        if _is_sdk_file(path, contents_manager, service.manager.providers.values()):
            return
        where = path.lstrip("/")
        if not index.current():
            return
        found = Found()
        content: Any
        try:
            if kind == "notebook":
                content = guard_notebook(model["content"], index, where, found)
            else:
                content = guard_text(str(model["content"]) if text is None else text, index, where, found)
        except Exception as exc:  # a bug of ours must not save a value: refuse, with a sentence
            log.error("jupyter_qcred: the save guard failed on %s (%s)", where, type(exc).__name__)
            if self.mode == "warn":
                return
            raise HTTPError(
                500,
                f"jupyter_qcred could not check {where} for credentials, so it was not saved; "
                "set c.QCredApp.save_guard = 'off' to save without the check, and report this.",
            ) from None
        if not found.items:
            return
        self._report(service, where, found)
        if self.mode == "refuse":
            secret, place, _what = found.items[0]
            raise HTTPError(400, refusal(place, secret, len(found.items)))
        if self.mode == "redact":
            model["content"] = content if text is None else base64.b64encode(content.encode("utf-8")).decode("ascii")

    def _report(self, service: CredentialService, where: str, found: Found) -> None:
        counts = Counter((secret.provider, secret.name, what) for secret, _, what in found.items)
        action = ACTION[self.mode]
        for (provider, name, what), count in counts.items():
            try:
                service.record_redaction(provider, name, where, what, action, count)
            except Exception as exc:  # a notice that cannot be recorded must not decide the save
                log.error("jupyter_qcred: could not record a redaction in %s (%s)", where, type(exc).__name__)
        verb = {"redacted": "kept out of", "refused": "refused saving", "warned": "left in (save_guard is 'warn')"}
        log.warning("jupyter_qcred: %d credential value(s) %s %s", len(found.items), verb[action], where)


def _uploaded_text(model: dict[str, Any]) -> str | None:
    """The text of a file JupyterLab uploads (it sends every file as base64): None for a binary file or for one
    chunk of a large upload (a value could be cut in two at a chunk's edge; such files are left to the scan)."""
    if model.get("chunk") is not None:
        return None
    try:
        data = base64.b64decode(str(model["content"]), validate=True)
        text = data.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return None if "\0" in text else text


def refusal(place: str, secret: Secret, count: int) -> str:
    """The refusal's sentence: where, whose, what to do; never the value (its label has four characters at most)."""
    more = f" (and {count - 1} more)" if count > 1 else ""
    call = rewrite.call_for(secret)
    return (
        f"{place} holds {secret.label()}{more}, so it was not saved; remove it and read it with "
        f"`import jupyter_qcred; {call}` instead (c.QCredApp.save_guard = 'refuse')."
    )


def _is_sdk_file(path: str, contents_manager: Any, providers: Any) -> bool:
    """Whether ``path`` is one of the providers' own credentials files (compared as resolved OS paths)."""
    get = getattr(contents_manager, "_get_os_path", None)
    root = getattr(contents_manager, "root_dir", None)
    try:
        target = Path(get(path) if get is not None else Path(str(root or ".")) / path.lstrip("/")).resolve()
        watched = {Path(str(p)).expanduser().resolve() for provider in providers for p in provider.watched_paths()}
    except Exception:
        return False
    return target in watched


def _is_python(notebook: dict[str, Any]) -> bool:
    metadata = notebook.get("metadata") or {}
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    return language in (None, "python", "python3")


#: Output mimetypes a browser renders as markup: a label there is escaped, or ``<…>`` would read as a tag and vanish.
MARKUP_TYPES = frozenset({"text/html", "image/svg+xml", "text/markdown"})


def _redact_tree(node: Any, index: SecretIndex, found: list[Secret], *, html: bool = False) -> Any:
    """Every string inside ``node`` (outputs, metadata: dicts and lists of any depth) with values labelled; the files
    were checked once by the caller (``index.current()``), so each string is only searched."""
    if isinstance(node, str):
        text, secrets = index.redact(node, refresh=False, html=html)
        found += secrets
        return text
    if isinstance(node, list):
        return [_redact_tree(item, index, found, html=html) for item in node]
    if isinstance(node, dict):
        return {key: _redact_tree(value, index, found, html=html or key in MARKUP_TYPES) for key, value in node.items()}
    return node


def _source(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def guard_notebook(notebook: dict[str, Any], index: SecretIndex, where: str, found: Found) -> dict[str, Any]:
    """The notebook (nbformat 4 JSON) with every value taken out; what was found goes to ``found``."""
    python = _is_python(notebook)
    result = dict(notebook)
    cells = []
    for number, cell in enumerate(notebook.get("cells") or [], start=1):
        cell = dict(cell)
        kind = cell.get("cell_type")
        source = _source(cell.get("source"))
        if kind == "code" and python:
            text, hits = rewrite.python(source, index.find)
        else:
            text, hits = rewrite.labelled(source, index.find)
        if hits:
            cell["source"] = text
            found.add(hits, _cell_place(number, where), "source")
        for part in ("outputs", "metadata"):
            if part in cell:
                in_part: list[Secret] = []
                cell[part] = _redact_tree(cell[part], index, in_part)
                label = "the output" if part == "outputs" else "the metadata"
                found.add_secrets(in_part, f"{label} of cell {number} of {where}", "output")
        cells.append(cell)
    result["cells"] = cells
    in_metadata: list[Secret] = []  # widget state, last: a refusal names the first cell that holds a value
    result["metadata"] = _redact_tree(notebook.get("metadata") or {}, index, in_metadata)
    found.add_secrets(in_metadata, f"the metadata (widget state) of {where}", "output")
    return result


def _cell_place(number: int, where: str) -> Callable[[int], str]:
    return lambda line: f"line {line} of cell {number} of {where}"


def guard_text(text: str, index: SecretIndex, where: str, found: Found) -> str:
    """A text file with every value taken out (a ``.py`` file as Python source, the rest with labels)."""
    if where.endswith(".py"):
        result, hits = rewrite.python(text, index.find)
        found.add(hits, lambda line: f"line {line} of {where}", "source")
    else:
        result, hits = rewrite.labelled(text, index.find)
        found.add(hits, lambda line: f"line {line} of {where}", "file")
    return result


def observe(service: CredentialService, event_logger: Any) -> None:
    """Emit the ``secret_redacted`` event (its own schema in ``event_schemas/``) for every notice the service
    records, from the save guard or a kernel's output filter; the event carries no value."""
    from .observability import event_schema, schema_id

    event_logger.register_event_schema(event_schema(EVENT, service.manager.providers))

    def on_action(action: str, details: dict[str, Any]) -> None:
        if action == EVENT:
            event_logger.emit(schema_id=schema_id(EVENT), data={key: details[key] for key in EVENT_FIELDS})

    service.action_observers.append(on_action)
