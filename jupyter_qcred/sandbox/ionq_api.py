"""IonQ's cloud API as far as credentials go: static API keys sent as ``Authorization: apiKey KEY``.

- ``GET /ionq/v0.4/whoami``: the key's ``key_id``, ``key_name`` and ``project_id`` (IonQ's documented answer), or 401
  for a key that is unknown or revoked;
- ``GET /ionq/v0.4/jobs/{id}``: what qiskit-ionq calls to retrieve a job; checks the key first (401), then answers
  404 for a job that does not exist (the sandbox runs no jobs);
- ``GET /ionq/v0.4/backends``: the public backend list (no key needed, as at IonQ).

Keys never expire; the admin API issues and revokes them (``/_sandbox/ionq/keys``, ``/_sandbox/ionq/revoke``).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .state import SandboxState
from .tokens import digest, opaque

PREFIX = "/ionq/v0.4"


@dataclasses.dataclass
class IonqKey:
    """One API key (only its digest is kept)."""

    user: str
    key_id: str
    key_name: str
    project_id: str
    revoked: bool = False


def issue_key(state: SandboxState, user: str, key_name: str = "Jupyter") -> str:
    """A new key for ``user`` in their (one) project; returns the key text."""
    key = opaque("sbxionq_", 24)
    project = next((k.project_id for k in state.ionq_keys.values() if k.user == user), str(uuid.uuid4()))
    state.ionq_keys[digest(key)] = IonqKey(user, str(uuid.uuid4()), key_name, project)
    return key


def revoke(state: SandboxState, user: str | None = None) -> int:
    """Revoke every key of ``user`` (every key with None); returns how many."""
    count = 0
    for key in state.ionq_keys.values():
        if not key.revoked and (user is None or key.user == user):
            key.revoked, count = True, count + 1
    return count


class IonqHandler(ServiceHandler):
    """Checks the ``apiKey`` header the way IonQ does: 401 with IonQ's error shape for a missing or bad key."""

    def key(self) -> IonqKey | None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        found = self.sandbox.ionq_keys.get(digest(value.strip())) if scheme == "apiKey" and value.strip() else None
        if found is None or found.revoked:
            self.log_error = "unauthorized"
            self.write_json(
                {"error": {"type": "UnauthorizedError", "message": "Invalid key provided"}, "statusCode": 401},
                status=401,
            )
            return None
        self.log_user = found.user
        return found


class WhoamiHandler(IonqHandler):
    endpoint = "ionq_whoami"

    def get(self) -> None:
        key = self.key()
        if key is not None:
            self.write_json({"key_id": key.key_id, "key_name": key.key_name, "project_id": key.project_id})


class JobHandler(IonqHandler):
    endpoint = "ionq_jobs"

    def get(self, job_id: str) -> None:
        if self.key() is not None:
            self.write_json(
                {"error": {"type": "NotFoundError", "message": f"Job {job_id} not found"}, "statusCode": 404},
                status=404,
            )


class BackendsHandler(ServiceHandler):
    endpoint = "ionq_backends"

    def get(self) -> None:
        self.write_json([{"backend": "simulator", "status": "available", "qubits": 29}])


class IssueKeyHandler(BaseHandler):
    def check_xsrf_cookie(self) -> None:
        """An admin API for tests, not a cookie site."""

    def post(self) -> None:
        body = self.json_body()
        user = str(body.get("user") or "")
        if not user:
            self.write_json({"error": "user is required"}, status=400)
            return
        self.write_json({"user": user, "key": issue_key(self.sandbox, user, str(body.get("key_name") or "Jupyter"))})


class RevokeHandler(IssueKeyHandler):
    def post(self) -> None:
        user = self.json_body().get("user")
        self.write_json({"revoked": revoke(self.sandbox, str(user) if user else None)})


def summary(state: SandboxState) -> dict[str, Any]:
    return {"ionq_keys": sum(1 for key in state.ionq_keys.values() if not key.revoked)}


def routes() -> list[tuple[str, Any]]:
    return [
        (PREFIX + "/whoami", WhoamiHandler),
        (PREFIX + r"/jobs/([^/]+)", JobHandler),
        (PREFIX + "/backends", BackendsHandler),
        ("/_sandbox/ionq/keys", IssueKeyHandler),
        ("/_sandbox/ionq/revoke", RevokeHandler),
    ]
