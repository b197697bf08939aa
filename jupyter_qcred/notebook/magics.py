"""``%qcred``: the credentials' health and the actions of the JupyterLab panel, from any notebook or IPython.

Load it in a notebook::

    %load_ext jupyter_qcred

or for every kernel, with an IPython config file (``~/.ipython/profile_default/ipython_config.py``; ``jupyter qcred
demo`` and the binder image write this one)::

    c.InteractiveShellApp.extensions = ["jupyter_qcred"]

Then ``%qcred`` shows the live widget, ``%qcred status`` the table (and returns the status JSON for code), and
``%qcred refresh|reinit|restart|use`` act; ``%qcred?`` lists them.

A kernel started by a Jupyter server with the jupyter_qcred extension asks that server (the one place that
refreshes; see :mod:`.notebook_backend` for how it finds it); anywhere else the commands work on the credential
files directly, with the same states. Loading is cheap — nothing but this module is imported until a command runs
(``python bench/bench_import.py`` measures it).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

if TYPE_CHECKING:
    from .backend import Session
    from .feed import StatusFeed
    from .status import Status

COMMANDS = ("status", "refresh", "reinit", "restart", "use", "remove", "doctor", "help")


@magics_class
class QCredMagics(Magics):
    """Holds the connection (and the widgets' status thread) for the kernel's lifetime."""

    def __init__(self, shell: Any = None) -> None:
        super().__init__(shell)
        self._session: Session | None = None
        self._feed: StatusFeed | None = None

    @property
    def session(self) -> Session:
        """Created on first use, so that ``%load_ext`` imports nothing."""
        if self._session is None:
            from .backend import Session

            self._session = Session(on_note=lambda note: print(f"Note: {note}"))
        return self._session

    @property
    def feed(self) -> StatusFeed:
        """The status thread shared by every widget of this kernel."""
        if self._feed is None:
            from .feed import StatusFeed

            self._feed = StatusFeed(self.session)
        return self._feed

    @line_magic
    def qcred(self, line: str = "") -> Any:
        """Quantum-cloud credentials (IBM Quantum, Rigetti QCS and every other cloud installed): show their health,
        refresh or replace them.

        Usage::

          %qcred                          the live status widget (Refresh, Re-initialize, Restart buttons)
          %qcred status                   the table; returns the status JSON, e.g. s = %qcred status; s.state("qcs")
          %qcred refresh [PROVIDER [NAME]]  refresh access tokens now (all, one provider, or one account)
          %qcred reinit                   replace the credentials with fresh ones from JupyterHub (or the spawn bundle)
          %qcred restart                  stop this server through JupyterHub and print the page that starts it again
          %qcred use PROVIDER NAME        make an account (ibm) or profile (qcs) the default
          %qcred use ibm NAME HUB/GROUP/PROJECT   ... and choose its default hub/group/project
          %qcred remove PROVIDER NAME     say what would be removed; add --yes to remove it
          %qcred doctor [PATH]            which credential each installed SDK will use in this notebook's folder
                                          (or PATH), and what to do when it is not the one shown here
          %qcred help                     this text

        PROVIDER is one of ``ibm``, ``qcs``, ``ionq``, ``braket``, ``nexus``. States: ok, expiring, refreshing,
        expired, needs_reinit (only a new login helps: ``%qcred reinit``), unsupported (the installed SDK cannot load
        it: re-initialize or remove it), error (a file that does not parse, or a failed check: retried
        automatically), absent (no credential).

        Under a Jupyter server with the jupyter_qcred extension the commands go through the server, which keeps the
        tokens fresh for every process; elsewhere they read and refresh the credential files directly. No output
        ever contains a token.
        """
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%qcred: cannot parse {line!r} ({exc}). Try %qcred help.") from None
        command, args = (words[0].lower(), words[1:]) if words else ("", [])
        handlers: dict[str, Callable[[list[str]], Any]] = {
            "": self._widget,
            "widget": self._widget,
            "status": self._status,
            "refresh": self._refresh,
            "reinit": self._reinit,
            "reinitialize": self._reinit,
            "restart": self._restart,
            "use": self._use,
            "remove": self._remove,
            "doctor": self._doctor,
            "help": self._help,
        }
        handler = handlers.get(command)
        if handler is None:
            raise UsageError(f"%qcred: unknown command {command!r}; use one of: {', '.join(COMMANDS)} (or none).")
        from .backend import NotebookError

        label = f"%qcred {command}".rstrip()
        try:
            return handler(args)
        except NotebookError as exc:
            print(f"{label}: {exc}", file=sys.stderr)
        except UsageError:
            raise
        except Exception as exc:  # a sentence, never a traceback; the type says where to look
            print(f"{label}: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return None

    # ----- commands ------------------------------------------------------------------------------------------

    def _widget(self, args: list[str]) -> Any:
        _no_arguments("", args)
        status = self.session.status()
        try:
            from .widget import CredentialsWidget
        except ImportError:
            print("Note: ipywidgets is not installed (pip install ipywidgets); showing the table instead.")
            return _status(status)
        return CredentialsWidget(self.session, self.feed, status)

    def _status(self, args: list[str]) -> Status:
        _no_arguments("status", args)
        return _status(self.session.status())

    def _refresh(self, args: list[str]) -> Status:
        if len(args) > 2:
            raise UsageError("%qcred refresh: too many arguments; usage: %qcred refresh [PROVIDER [NAME]].")
        provider = _provider("refresh", args[0]) if args else None
        name = args[1] if len(args) > 1 else None
        return _say("refresh", self.session.refresh(provider, name))

    def _reinit(self, args: list[str]) -> Status:
        _no_arguments("reinit", args)
        return _say("reinit", self.session.reinitialize())

    def _restart(self, args: list[str]) -> None:
        _no_arguments("restart", args)
        answer = self.session.restart()
        url = answer.get("spawn_url") or "/hub/home"
        print(
            f"Your server is stopping. Open {url} (on this site) in a moment to start it again; the notebook "
            "reconnects once it is back."
        )

    def _use(self, args: list[str]) -> Status:
        if len(args) < 2:
            raise UsageError("%qcred use: usage: %qcred use PROVIDER NAME (ibm also: NAME HUB/GROUP/PROJECT).")
        provider = _provider("use", args[0])
        name, instance = args[1], (args[2] if len(args) > 2 else None)
        if len(args) > 3 or (provider == "qcs" and instance is not None):
            raise UsageError(
                "%qcred use: too many arguments; usage: %qcred use qcs PROFILE, or %qcred use ibm NAME "
                "[HUB/GROUP/PROJECT]."
            )
        if instance is not None and not instance.startswith("crn:") and len([p for p in instance.split("/") if p]) != 3:
            raise UsageError(f"%qcred use: {instance!r} is not HUB/GROUP/PROJECT (e.g. ibm-q/open/main).")
        return _say("use", self.session.set_default(provider, name, instance))

    def _remove(self, args: list[str]) -> Status | None:
        confirmed = "--yes" in args
        words = [word for word in args if word != "--yes"]
        if len(words) != 2:
            raise UsageError("%qcred remove: usage: %qcred remove PROVIDER NAME [--yes].")
        provider, name = _provider("remove", words[0]), words[1]
        if confirmed:
            return _say("remove", self.session.remove(provider, name))
        from .widget import naming

        status = self.session.status()
        title, noun = naming(status, provider)
        entry = next((e for e in status.get("providers", []) if e["provider"] == provider and e["name"] == name), None)
        if entry is None:
            print(f"%qcred remove: there is no {title} credential named {name!r}.", file=sys.stderr)
            return None
        where = f" from {entry['file']}" if entry.get("file") else ""
        default = " It is the default." if entry.get("default") else ""
        print(
            f"This would remove the {title} {noun} {name!r}{where}.{default} Nothing was "
            f"changed; to remove it, run: %qcred remove {provider} {shlex.quote(name)} --yes"
        )
        return None

    def _doctor(self, args: list[str]) -> None:
        """The same text as ``jupyter qcred doctor``, for the kernel's folder (a notebook's own) and environment:
        run in this process, never through the server, whose environment is not the kernel's."""
        if len(args) > 1:
            raise UsageError("%qcred doctor: too many arguments; usage: %qcred doctor [PATH].")
        from ..core.doctor import format_answer

        print(format_answer(self.session.local.doctor(args[0] if args else None)))

    def _help(self, args: list[str]) -> None:
        # Through the class's namespace: the decorated function, whose docstring is the help text.
        print(_dedent(vars(QCredMagics)["qcred"].__doc__ or ""))


def _say(command: str, answer: dict[str, Any]) -> Status:
    """Print the operation's one sentence (the same the panel and the CLI show) and return the status."""
    result = answer.get("result") or {}
    if result.get("outcome") == "ok":
        print(result.get("message") or "Done.")
    elif result:
        print(f"%qcred {command}: {result.get('message')}", file=sys.stderr)
    return _status(answer)


def _status(data: dict[str, Any]) -> Status:
    from .status import Status

    return Status(data)


def _no_arguments(command: str, args: list[str]) -> None:
    if args:
        usage = f"%qcred {command}".rstrip()
        raise UsageError(f"{usage}: unexpected argument {args[0]!r}; usage: {usage} (see %qcred help).")


def _provider(command: str, word: str) -> str:
    key = word.lower()
    from ..core import registry  # here: %load_ext loads no provider

    known = registry.provider_keys()
    if key not in known:
        raise UsageError(f"%qcred {command}: unknown provider {word!r}; use one of: {', '.join(known)}.")
    return key


def _dedent(text: str) -> str:
    import inspect

    return inspect.cleandoc(text)


#: The line an IPython profile runs so that every kernel has ``%qcred`` (the demo's and Binder's profiles). It
#: registers the magic without IPython's extension manager, so a notebook's own ``%load_ext jupyter_qcred`` still
#: loads quietly instead of answering "already loaded".
PROFILE_LINE = "import jupyter_qcred; jupyter_qcred.load_ipython_extension(get_ipython())"


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%qcred`` once (nothing else is imported or contacted until it runs) and install the output filter."""
    if "QCredMagics" not in ipython.magics_manager.registry:
        ipython.register_magics(QCredMagics)
    from .outputguard import load as guard_output  # the kernel output filter (idempotent; see its module)

    guard_output(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop the widgets' status thread."""
    magics = ipython.magics_manager.registry.get("QCredMagics")
    if magics is not None and magics._feed is not None:
        magics._feed.stop()
