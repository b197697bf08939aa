"""The ``%qcred`` widget: what the JupyterLab panel shows, for any front end that renders ipywidgets.

Built from standard widgets only (HTML, Button, HBox, VBox), so it works in JupyterLab, Notebook 7, VS Code and
Voilà without a JavaScript extension; front ends without widgets get the text table from ``_repr_mimebundle_``.
Actions run in a worker thread so a slow provider never blocks the kernel, and the status follows the server's
push channel (:mod:`.notebook_feed`), so a token refreshed or refused while the notebook is open shows at once.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ipywidgets as widgets

from ..core.report import describe_expiry, state_label
from ..core.validation import web_url
from . import folding
from .backend import NotebookError, Session
from .feed import StatusFeed
from .folding import render_fold_line
from .status import Status

STATE_COLOURS = {
    "ok": "#2e7d32",
    "expiring": "#f9a825",
    "refreshing": "#1565c0",
    "expired": "#c62828",
    "needs_reinit": "#c62828",
    "unsupported": "#c62828",
    "error": "#ef6c00",
    "absent": "#757575",
}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _row(label: str, value: str) -> str:
    style = "text-align:left;padding-right:1em;font-weight:normal;opacity:.7"
    return f"<tr><th style='{style}'>{_e(label)}</th><td>{value}</td></tr>"


def naming(status: Mapping[str, Any], provider: str) -> tuple[str, str]:
    """How views name a provider and one of its credentials ("Rigetti QCS", "profile"): from the status's
    ``provider_info`` (what the server's registered providers say), else from this process's registry."""
    info = (status.get("provider_info") or {}).get(provider)
    if isinstance(info, Mapping):
        return str(info.get("title") or provider), str(info.get("noun") or "credential")
    from ..core import registry

    return registry.title(provider), registry.noun(provider)


def render_credential(entry: dict[str, Any], status: Mapping[str, Any] | None = None) -> str:
    """One credential as an HTML card: the facts the panel shows, every value escaped (``status``: the status it
    belongs to, whose ``provider_info`` names the provider)."""
    provider, state = str(entry.get("provider")), str(entry.get("state"))
    account = entry.get("account") or {}
    # The one rule (core/states.py): a refresh retrying while the token has time left is calm, not an error.
    colour = STATE_COLOURS["expiring"] if entry.get("retrying") else STATE_COLOURS.get(state, "#757575")
    name = entry.get("name")
    title, noun = naming(status or {}, provider)
    head = f"<b>{_e(title)}</b>"
    if name:
        head += f" &middot; {noun + ' ' if noun != 'account' else ''}<code>{_e(name)}</code>"
    if entry.get("default"):
        head += " <span style='opacity:.7'>(default)</span>"
    badge = (
        f"<span data-state='{_e(state)}' style='margin-left:.5em;padding:0 .4em;border-radius:3px;color:white;"
        f"background:{colour}'>{_e(state_label(entry))}</span>"
    )
    rows: list[str] = []
    if provider == "ibm" and name:
        rows.append(_row("Channel", _e(account.get("channel") or "unknown")))
        # An account nobody can use (the SDK or the provider refuses it) offers no hub/group/project to choose.
        instances = [] if state in ("unsupported", "needs_reinit") else account.get("instances") or []
        if instances:
            listed = ", ".join(
                _e("/".join(str(i.get(k, "")) for k in ("hub", "group", "project")))
                + (" <i>(default)</i>" if i.get("default") else "")
                for i in instances
            )
            rows.append(_row("Hub/group/project", listed))
        elif account.get("instance"):
            rows.append(_row("Instance", _e(account["instance"])))
    if provider == "qcs" and name:
        user = account.get("user") or {}
        if user.get("email"):
            who = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
            rows.append(_row("User", _e(user["email"]) + (f" ({_e(who)})" if who else "")))
        groups = ", ".join(str(group.get("name", "")) for group in account.get("groups") or [])
        rows.append(_row("Groups", _e(groups or "none")))
        if account.get("refresh_token_state"):
            rows.append(_row("Refresh token", _e(account["refresh_token_state"])))
    for label, value in account.get("fields") or []:  # what any other provider says about itself
        rows.append(_row(str(label), _e(value)))
    if name:
        rows.append(_row("Access token", _e(describe_expiry(entry.get("expires_at")))))
        source = " · ".join(str(part) for part in (entry.get("source"), entry.get("token_hint")) if part)
        if source:
            rows.append(_row("Source", _e(source)))
    body = f"<table style='margin:.2em 0'>{''.join(rows)}</table>" if rows else ""
    error = f"<div style='color:{colour}'>{_e(entry['error'])}</div>" if entry.get("error") else ""
    if entry.get("retrying"):
        left = describe_expiry(entry.get("expires_at")).removeprefix("in ")
        error += f"<div style='opacity:.8'>Retrying; the token is valid for {_e(left)}.</div>"
    error += "".join(
        f"<div style='color:#8d6e00'>&#9888; {_e(warning)}</div>" for warning in entry.get("warnings") or []
    )
    return (
        f"<div class='qcred-credential' style='margin:.4em 0;padding:.2em .6em;border-left:4px solid {colour}'>"
        f"<div>{head}{badge}</div>{body}{error}</div>"
    )


def render_status(status: dict[str, Any]) -> str:
    """Every credential, the hub line and pending logins as HTML."""
    parts = [render_credential(entry, status) for entry in status.get("providers") or []]
    if not parts:
        parts.append("<div>No provider is enabled.</div>")
    return "".join(parts) + render_logins(status)


def render_logins(status: Mapping[str, Any]) -> str:
    """The pending logins, each with its verification page and code."""
    parts: list[str] = []
    for login in status.get("logins") or []:
        if login.get("state") == "pending":
            # Only a web address becomes a link (never a javascript: URI an identity provider sent).
            link = next(
                (u for u in (login.get("verification_uri_complete"), login.get("verification_uri")) if web_url(u)), None
            )
            shown = (
                f"<a href='{_e(link)}' target='_blank' rel='noopener noreferrer'>{_e(link)}</a>"
                if link
                else "the sign-in page of your identity provider"
            )
            who = naming(status, str(login.get("provider")))[0]
            parts.append(
                f"<div>{_e(who)} login pending: open {shown} and confirm the code "
                f"<code>{_e(login.get('user_code'))}</code>.</div>"
            )
    return "".join(parts)


class ProviderSection(widgets.VBox):
    """One provider: its one line with a toggle, and (open) its credentials with their Remove rows.

    All well, it is the line only; needing action, it opens by itself (:mod:`.folding`). A person's toggle holds
    until the provider comes to need action.
    """

    def __init__(self, owner: CredentialsWidget, provider: str) -> None:
        self.owner, self.provider = owner, provider
        self.expanded = False
        self.toggle = widgets.Button(layout=widgets.Layout(width="2.4em", min_width="2.4em"))
        self.toggle.on_click(lambda _: owner.set_open(provider, not self.expanded))
        self.line = widgets.HTML()
        self.details = widgets.HTML()
        #: One row per credential with its Remove button (and, once clicked, the confirmation in place).
        self.rows = widgets.VBox()
        self._rows_for: object = None
        self._shown: tuple[widgets.Widget, ...] = ()
        self.head = widgets.HBox([self.toggle, self.line], layout=widgets.Layout(align_items="center"))
        super().__init__([self.head])

    def show(self, status: Status, open_: bool) -> None:
        title, noun = naming(status, self.provider)
        self.expanded = open_
        self.line.value = render_fold_line(status, self.provider, title, noun)
        self.toggle.icon = "chevron-down" if open_ else "chevron-right"
        self.toggle.tooltip = f"{'Hide' if open_ else 'Show'} {title}"
        entries = folding.entries_of(status, self.provider)
        self.details.value = "".join(render_credential(entry, status) for entry in entries) if open_ else ""
        self._render_rows([str(e["name"]) for e in entries if e.get("name")] if open_ else [])
        children: tuple[widgets.Widget, ...] = (self.head, self.details, self.rows) if open_ else (self.head,)
        if self._shown != children:
            self._shown = self.children = children

    def _render_rows(self, names: list[str]) -> None:
        """The Remove rows, rebuilt only when the credentials, the confirmation or the busy flag changed."""
        key = (names, self.owner._confirming, self.owner._busy)
        if key == self._rows_for:
            return
        self._rows_for = key
        self.rows.children = tuple(self.owner._row(self.provider, name) for name in names)


class CredentialsWidget(widgets.VBox):
    """Per provider: account, state, expiry, hub/group/project or instance, QCS user and groups; three buttons.

    ``status`` is the latest status JSON (a :class:`~.notebook_status.Status`); ``repr()`` is the text table.
    Eight clouds stay scannable: ``sections`` (one per provider, action first) fold an all-well provider to one line.
    """

    def __init__(self, session: Session, feed: StatusFeed, status: dict[str, Any], **kwargs: Any) -> None:
        self.session = session
        self.status = Status(status)
        self._lock = threading.RLock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qcred-action")
        self.header = widgets.HTML()
        #: The providers' sections, in the order shown (action first), and the pending logins.
        self.body = widgets.VBox()
        self.sections: dict[str, ProviderSection] = {}
        self._no_provider = widgets.HTML("<div>No provider is enabled.</div>")
        self.logins = widgets.HTML()
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh", tooltip="Refresh access tokens now")
        self.reinit_button = widgets.Button(
            description="Re-initialize",
            icon="key",
            tooltip="Replace the credentials with fresh ones from JupyterHub or the spawn bundle",
        )
        self.restart_button = widgets.Button(
            description="Restart server", icon="power-off", tooltip="Stop this server so JupyterHub starts it afresh"
        )
        self.buttons = [self.refresh_button, self.reinit_button, self.restart_button]
        self._confirming: tuple[str, str] | None = None
        #: A person's open/close per provider, with the provider's health when they chose.
        self._choices: dict[str, tuple[bool, str]] = {}
        self.refresh_button.on_click(lambda _: self._act("Refreshing…", session.refresh))
        self.reinit_button.on_click(lambda _: self._act("Re-initializing…", session.reinitialize))
        self.restart_button.on_click(lambda _: self._act("Asking JupyterHub to restart…", session.restart))
        super().__init__(
            [self.header, self.body, self.logins, widgets.HBox(self.buttons), self.message],
            layout=widgets.Layout(border="1px solid #ddd", padding="0 .6em .4em .6em"),
            **kwargs,
        )
        self.render(status)
        self._unsubscribe: Callable[[], None] | None = feed.subscribe(self.render)

    # ----- showing -----------------------------------------------------------------------------------------------

    def render(self, status: dict[str, Any]) -> None:
        """Show a new status (called from the feed's thread, an action's thread, or the kernel)."""
        with self._lock:
            if "providers" in status:
                self.status = Status(status)
            hub = self.status.get("hub") or {}
            where = (
                f"JupyterHub user {_e(hub.get('user'))}"
                if hub.get("available")
                else "via the Jupyter server"
                if self.session.mode == "server"
                else "from the credential files (no server)"
            )
            summary = self.status.get("summary") or {}
            attention = (
                f"<div data-action-needed='true' style='color:#c62828'>{_e(summary.get('message'))}</div>"
                if summary.get("action_needed")
                else ""
            )
            self.header.value = (
                f"<h4 style='margin:.4em 0'>Quantum credentials <small style='opacity:.7'>{where}</small></h4>"
                + attention
            )
            self._render_sections()
            self.logins.value = render_logins(self.status)
            can_restart = bool(hub.get("available") and hub.get("can_restart") is not False)
            self.restart_button.disabled = not can_restart or self._busy
            if not can_restart:
                self.restart_button.tooltip = "Only a server started by JupyterHub can restart itself."

    _busy = False

    def is_open(self, provider: str) -> bool:
        """Whether ``provider``'s section shows its credentials: a person's choice while it holds, else by health."""
        health = folding.health(self.status, provider)
        choice = self._choices.get(provider)
        if choice is not None and health == "action" and choice[1] != "action":
            del self._choices[provider]  # it came to need action: open by itself, the earlier choice ends
            choice = None
        elif choice is not None and health != "action" and choice[1] == "action":
            # No longer needs action: the choice carries on as one made now, so the next time it opens again.
            choice = self._choices[provider] = (choice[0], health)
        return choice[0] if choice is not None else folding.opens_by_itself(health)

    def set_open(self, provider: str, open_: bool) -> None:
        """A person's toggle: remembered for as long as this widget lives (or until the provider needs action)."""
        with self._lock:
            self._choices[provider] = (open_, folding.health(self.status, provider))
            self._render_sections()

    def _render_sections(self) -> None:
        order = [provider for provider, _ in folding.ordered(self.status)]
        for provider in order:
            section = self.sections.get(provider) or self.sections.setdefault(provider, ProviderSection(self, provider))
            section.show(self.status, self.is_open(provider))
        children: tuple[widgets.Widget, ...] = tuple(self.sections[provider] for provider in order)
        if not children:
            children = (self._no_provider,)
        if tuple(self.body.children) != children:
            self.body.children = children

    def _row(self, provider: str, name: str) -> widgets.HBox:
        title, noun = naming(self.status, provider)
        what = f"{title} {noun} {name}"
        if self._confirming == (provider, name):
            question = widgets.HTML(f"Remove the {_e(what)}?")
            confirm = widgets.Button(description="Remove", button_style="danger", tooltip=f"Remove the {what}")
            cancel = widgets.Button(description="Cancel", tooltip="Keep it")
            confirm.on_click(lambda _: self._remove(provider, name))
            cancel.on_click(lambda _: self._confirm(None))
            parts: list[widgets.Widget] = [question, confirm, cancel]
        else:
            label = widgets.HTML(f"<span style='opacity:.7'>{_e(what)}</span>")
            button = widgets.Button(description="Remove", icon="trash", tooltip=f"Remove the {what}")
            button.on_click(lambda _: self._confirm((provider, name)))
            parts = [label, button]
        for part in parts:
            if isinstance(part, widgets.Button):
                part.disabled = self._busy
        return widgets.HBox(parts)

    def _confirm(self, target: tuple[str, str] | None) -> None:
        """Show (or withdraw) the inline "Remove X? [Remove] [Cancel]" of one credential."""
        with self._lock:
            self._confirming = target
            self._render_sections()

    def _remove(self, provider: str, name: str) -> None:
        self._confirming = None
        self._act(f"Removing {naming(self.status, provider)[0]} {name}…", lambda: self.session.remove(provider, name))

    def _act(self, doing: str, operation: Callable[[], dict[str, Any]]) -> None:
        """Run a button's operation in the worker thread; the buttons wait until it has finished."""
        with self._lock:
            if self._busy:
                return
            self._busy = True
            for button in self.buttons:
                button.disabled = True
            self._render_sections()
            self.message.value = f"<i>{_e(doing)}</i>"
        self._worker.submit(self._finish, operation)

    def _finish(self, operation: Callable[[], dict[str, Any]]) -> None:
        message = ""
        try:
            result = operation()
        except NotebookError as exc:
            message = f"<span style='color:#c62828'>{_e(exc)}</span>"
        except Exception as exc:  # the widget must always come back to life
            message = f"<span style='color:#c62828'>Unexpected {_e(type(exc).__name__)}: {_e(exc)}</span>"
        else:
            if "spawn_url" in result:
                url = str(result.get("spawn_url") or "")
                message = (
                    f"The server is stopping. <a href='{_e(url)}' target='_top'>Start it again</a> ({_e(url)}) in a "
                    "moment."
                )
            else:
                outcome = result.get("result") or {}
                text = _e(outcome.get("message") or "Done.")
                message = text if outcome.get("outcome", "ok") == "ok" else f"<span style='color:#c62828'>{text}</span>"
                self.render(result)
        with self._lock:
            self._busy = False
            for button in self.buttons:
                button.disabled = False
            self.message.value = message
            self.render(self.status)

    def close(self) -> None:
        """Stop following the status along with the widget."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._worker.shutdown(wait=False)
        super().close()

    # ----- text ------------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return repr(self.status)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        """ipywidgets cuts text/plain at 110 characters; non-widget front ends should get the whole table."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle
