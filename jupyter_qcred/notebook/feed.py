"""Live status for the widget: the server's push channel, read from a daemon thread, with polling as the fallback.

A thread (not the kernel's event loop) because ipykernel's loop differs between versions and is busy while a cell
runs; the widget must keep updating while the user's own code is running. The thread holds one WebSocket to
``qcred/events`` (websocket-client), reconnects with exponential backoff when it drops (a server restart, a proxy
timeout), and while it is down asks ``qcred/status`` — or, with no server, reads the files — at each backoff step,
so the widget is never more than ``MAX_BACKOFF`` seconds out of date.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

from .backend import NotebookError, Session

Listener = Callable[[dict[str, Any]], None]

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 15.0
#: Without a server nothing pushes, so the files are read this often (cheap: a stat and a parse).
LOCAL_POLL = 2.0
#: The server pings every 30 s; a connection silent for longer than this is dead even if the socket says not.
RECEIVE_TIMEOUT = 90.0


class StatusFeed:
    """Calls every listener with each new status JSON (from the push channel or polling), from its own thread."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: Any = None
        self._last: str | None = None
        #: "push" while the WebSocket is open, "poll" otherwise (shown by the widget, used by tests).
        self.channel = "poll"

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Start the thread if needed; returns the function that unsubscribes (the thread ends with the last)."""
        with self._lock:
            self._listeners.append(listener)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="qcred-events", daemon=True)
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
                if not self._listeners:
                    self.stop()

        return unsubscribe

    def stop(self) -> None:
        """End the thread soon (closing the socket wakes a blocked receive)."""
        self._stop.set()
        socket = self._socket
        if socket is not None:
            with contextlib.suppress(Exception):  # already closed
                socket.shutdown()

    def publish(self, status: dict[str, Any]) -> None:
        """Hand a status to the listeners unless it says nothing new (``generated_at`` changes every time)."""
        key = json.dumps({k: v for k, v in status.items() if k != "generated_at"}, sort_keys=True, default=str)
        with self._lock:
            if key == self._last:
                return
            self._last = key
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # noqa: S112 - a closed widget must not stop the others
                continue

    # ----- the thread ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = FIRST_BACKOFF
        while not self._stop.is_set():
            endpoint = self.session.endpoint
            if endpoint is not None and self._listen(endpoint.websocket_url(), endpoint.headers()):
                delay = FIRST_BACKOFF  # it was connected: the next drop starts the backoff afresh
                continue
            self._poll()
            wait = delay if endpoint is not None else LOCAL_POLL
            if self._stop.wait(wait):
                break
            delay = min(delay * 2, MAX_BACKOFF)

    def _listen(self, url: str, headers: dict[str, str]) -> bool:
        """Read the push channel until it closes; returns whether it was ever open."""
        import websocket

        try:
            socket = websocket.create_connection(
                url, header=[f"{key}: {value}" for key, value in headers.items()], timeout=10
            )
        except Exception:  # refused, 403, TLS, DNS…: poll and retry later
            return False
        self._socket = socket
        self.channel = "push"
        try:
            socket.settimeout(RECEIVE_TIMEOUT)
            while not self._stop.is_set():
                message = socket.recv()
                if not message:
                    break
                event = json.loads(message)
                if isinstance(event, dict) and isinstance(event.get("status"), dict):
                    self.session.mode = "server"
                    self.publish(event["status"])
        except Exception:  # noqa: S110 - closed, timed out, or garbage: reconnect
            pass
        finally:
            self.channel = "poll"
            self._socket = None
            with contextlib.suppress(Exception):  # already gone
                socket.close(timeout=1)
        return True

    def _poll(self) -> None:
        try:
            self.publish(self.session.status(notify=False))
        except NotebookError:
            pass  # the widget keeps showing the last status; the next attempt may work
        except Exception:  # noqa: S110 - never let the thread die
            pass
