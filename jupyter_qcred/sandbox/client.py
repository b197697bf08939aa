"""Start a sandbox process and steer it through its admin API (stdlib only, for tests and the demo).

``Sandbox`` waits for the process's ready line with a deadline (never a fixed sleep), exposes the URLs it
printed, and wraps every admin endpoint in a typed method.  The process is started with ``--exit-with-parent``
so a crashed test run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn


class SandboxError(RuntimeError):
    """The sandbox did not start, stopped unexpectedly, or refused an admin request."""


class Sandbox:
    """A running ``python -m jupyter_qcred.sandbox`` and typed access to its admin API."""

    def __init__(
        self,
        *,
        tls: bool = True,
        state_dir: str | os.PathLike[str] | None = None,
        seed: str = "demo",
        access_token_lifetime: int | None = None,
        refresh_token_lifetime: int | None = None,
        rotate_refresh_tokens: bool = True,
        jupyterhub_client_secret: str | None = None,
        jupyterhub_redirect_uris: list[str] | None = None,
        device_interval: int | None = None,
        scenarios: list[str] | None = None,
        port: int = 0,
        tls_port: int = 0,
        extra_args: list[str] | None = None,
        ready_timeout: float = 30.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="qcred-sandbox-"))
        args = ["--port", str(port), "--seed", seed, "--state-dir", str(self.state_dir), "--exit-with-parent"]
        if tls:
            args += ["--tls", "--tls-port", str(tls_port)]
        if access_token_lifetime is not None:
            args += ["--access-token-lifetime", str(access_token_lifetime)]
        if refresh_token_lifetime is not None:
            args += ["--refresh-token-lifetime", str(refresh_token_lifetime)]
        if not rotate_refresh_tokens:
            args.append("--no-rotate")
        if jupyterhub_client_secret is not None:
            args.append(f"--jupyterhub-client-secret={jupyterhub_client_secret}")  # a secret may start with "-"
        for uri in jupyterhub_redirect_uris or []:
            args += ["--jupyterhub-redirect-uri", uri]
        if device_interval is not None:
            args += ["--device-interval", str(device_interval)]
        for scenario in scenarios or []:
            args += ["--scenario", scenario]
        self.args = args + list(extra_args or [])
        self.ready_timeout = ready_timeout
        self.env = env
        self.info: dict[str, Any] = {}
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def attach(cls, info: dict[str, Any]) -> Sandbox:
        """A client of a sandbox another process started, from its ready line (``sandbox.json``): the demo hub's
        configuration reaches the stand-ins' admin API with it at each login. It does not own the process."""
        sandbox = cls(state_dir=str(info["state_dir"]))
        sandbox.info = dict(info)
        return sandbox

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start the process and wait (up to ``ready_timeout``) for its ready line."""
        if self.process is not None:
            return self
        self.stderr_path = self.state_dir / "sandbox.log"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stderr = open(self.stderr_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        env = dict(os.environ if self.env is None else self.env)
        # The child must import this very package even when it is not installed (a source checkout).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_qcred.sandbox", *self.args],
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            stderr.close()
        assert self.process.stdout is not None
        try:
            line = self._read_line(self.process.stdout.fileno(), time.monotonic() + self.ready_timeout)
        except BaseException:
            # A signal (the demo's SIGTERM, Ctrl-C) while waiting: ``with`` never calls __exit__ when __enter__
            # raises, so stop the process here or it outlives whoever started it.
            self.stop()
            raise
        try:
            self.info = json.loads(line)
        except ValueError:
            self._fail("the sandbox printed something other than its ready line")
        return self

    def _fail(self, message: str) -> NoReturn:
        """Stop, then raise with the tail of the sandbox's stderr (the temp dir is gone after stop)."""
        try:
            tail = self.stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            tail = ""
        self.stop()
        raise SandboxError(f"{message}; its stderr ends with:\n{tail}")

    def _read_line(self, fd: int, deadline: float) -> str:
        buf = b""
        while not buf.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(f"the sandbox was not ready within {self.ready_timeout}s")
            readable, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if readable:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.process.wait() if self.process else None
                    self._fail(f"the sandbox exited (code {code}) before it was ready")
                buf += chunk
        return buf.decode().splitlines()[0]

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after ``timeout``) and remove a temp state dir."""
        proc, self.process = self.process, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- URLs ----------------------------------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        return str(self.info["http_url"])

    @property
    def https_url(self) -> str | None:
        return self.info.get("https_url")

    @property
    def ca_file(self) -> str | None:
        return self.info.get("ca_file")

    @property
    def qcs_issuer(self) -> str:
        return str(self.info["qcs_issuer"])

    @property
    def qcs_api_url(self) -> str:
        return str(self.info["qcs_api_url"])

    @property
    def qcs_client_id(self) -> str:
        return str(self.info["qcs_client_id"])

    @property
    def ibm_auth_url(self) -> str:
        return str(self.info["ibm_auth_url"])

    @property
    def iam_url(self) -> str:
        return str(self.info["iam_url"])

    @property
    def runtime_url(self) -> str:
        return str(self.info["runtime_url"])

    @property
    def qcs_grpc_url(self) -> str:
        return str(self.info["qcs_grpc_url"])

    @property
    def admin_url(self) -> str:
        return self.http_url + "/_sandbox"

    # -- admin API -----------------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call ``{http_url}/_sandbox/{path}``; raise SandboxError with the sandbox's message on failure."""
        data = json.dumps(body).encode() if body is not None else None
        if not self.admin_url.startswith("http://127.0.0.1:"):
            raise SandboxError("the sandbox is not running (no admin URL)")
        request = urllib.request.Request(  # noqa: S310 - a loopback http URL, checked above
            self.admin_url + "/" + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - see above
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SandboxError(f"sandbox admin {method} {path} failed with {exc.code}: {detail}") from exc

    def log(self, endpoint: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Request records (no secrets), oldest first; filter by endpoint name or by ``seq`` > since."""
        query = []
        if endpoint:
            query.append(f"endpoint={endpoint}")
        if since:
            query.append(f"since={since}")
        return list(self.admin("GET", "log" + ("?" + "&".join(query) if query else ""))["entries"])

    def clear_log(self) -> None:
        self.admin("DELETE", "log")

    def token_requests(self) -> list[dict[str, Any]]:
        """Records of the QCS token endpoint (grant type, client, user, status)."""
        return self.log("qcs_token")

    def wait_for_log(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0, count: int = 1
    ) -> list[dict[str, Any]]:
        """Poll the log until ``count`` entries satisfy ``predicate``; raise on the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.log() if predicate(e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise SandboxError(f"only {len(found)} of {count} expected log entries after {timeout}s")
            time.sleep(0.05)

    def fault(
        self, match: str, mode: str = "status", *, status: int = 500, delay: float = 0.0, count: int | None = None
    ) -> dict[str, Any]:
        """Inject a fault; ``match`` is an endpoint name (``qcs_token``), a family (``qcs``) or a path part."""
        return dict(
            self.admin(
                "POST", "faults", {"match": match, "mode": mode, "status": status, "delay": delay, "count": count}
            )["fault"]
        )

    def faults(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "faults")["faults"])

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def scenarios(self) -> list[str]:
        """The scenarios that are on (:mod:`.scenarios`)."""
        return [s["name"] for s in self.admin("GET", "scenarios")["scenarios"] if s["on"]]

    def set_scenario(self, name: str, on: bool = True) -> list[str]:
        """Switch scenario ``name`` on or off while the sandbox runs; returns the scenarios that are on."""
        return [s["name"] for s in self.admin("POST", "scenarios", {"name": name, "on": on})["scenarios"] if s["on"]]

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change lifetimes, rotation, device pacing, the jupyterhub client (see ``SandboxConfig``)."""
        return dict(self.admin("POST", "config", changes)["config"])

    def issue_qcs_tokens(
        self,
        user: str,
        *,
        access_token_lifetime: int | None = None,
        refresh_token_lifetime: int | None = None,
        client_id: str | None = None,
        scope: str | None = None,
    ) -> dict[str, Any]:
        """A full token response for ``user`` as if they had just logged in with the QCS CLI client."""
        body: dict[str, Any] = {"user": user}
        for key, value in (
            ("access_token_lifetime", access_token_lifetime),
            ("refresh_token_lifetime", refresh_token_lifetime),
            ("client_id", client_id),
            ("scope", scope),
        ):
            if value is not None:
                body[key] = value
        return dict(self.admin("POST", "qcs/issue", body))

    def revoke(
        self, user: str | None = None, *, refresh_token: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Revoke a QCS user's refresh tokens (or one of them), or an IBM API key / legacy token (``key``)."""
        if key is not None:
            return dict(self.admin("POST", "ibm/revoke", {"key": key}))
        return dict(self.admin("POST", "qcs/revoke", {"user": user, "refresh_token": refresh_token}))

    def revoke_ibm_key(self, key: str) -> dict[str, Any]:
        return dict(self.admin("POST", "ibm/revoke", {"key": key}))

    def approve_device(self, user_code: str, user: str, *, deny: bool = False) -> str:
        return str(
            self.admin("POST", "qcs/device/approve", {"user_code": user_code, "user": user, "deny": deny})["result"]
        )

    def add_qcs_user(self, user: str, *, groups: list[str] | None = None, **profile: Any) -> dict[str, Any]:
        return dict(self.admin("POST", "qcs/users", {"user": user, "groups": groups or [], **profile}))

    def add_qcs_client(self, user: str, client_id: str | None = None) -> dict[str, Any]:
        """A confidential client for the client-credentials grant; returns client_id and client_secret."""
        return dict(self.admin("POST", "qcs/clients", {"user": user, "client_id": client_id}))

    def add_ibm_user(
        self,
        user: str,
        *,
        instances: int = 1,
        hubs: list[dict[str, Any]] | None = None,
        apikey: str | None = None,
        legacy_token: str | None = None,
    ) -> dict[str, Any]:
        """A new API key (with ``instances`` CRNs) and legacy token (with ``hubs``); returns the secrets."""
        body: dict[str, Any] = {"user": user, "instances": instances}
        if hubs is not None:
            body["hubs"] = hubs
        if apikey is not None:
            body["apikey"] = apikey
        if legacy_token is not None:
            body["legacy_token"] = legacy_token
        return dict(self.admin("POST", "ibm/users", body))

    def credentials(self) -> dict[str, Any]:
        """Seed secrets: IBM API keys / legacy tokens / CRNs per user, service clients, the jupyterhub client."""
        return dict(self.admin("GET", "credentials"))

    def ibm_credentials(self, user: str = "alice") -> dict[str, str]:
        return dict(self.credentials()["ibm"][user])

    def state(self) -> dict[str, Any]:
        return dict(self.admin("GET", "state"))

    # -- the later providers -----------------------------------------------------------------------------------

    @property
    def ionq_url(self) -> str:
        return str(self.info["ionq_url"])

    @property
    def sts_url(self) -> str:
        """``AWS_ENDPOINT_URL_STS`` for botocore: moto's STS behind the sandbox's web identity checks."""
        return str(self.info["sts_url"])

    def sts_assumes(self, since: int = 0) -> list[dict[str, Any]]:
        """The AssumeRoleWithWebIdentity requests (``client_id`` holds the role session name)."""
        return [e for e in self.log("sts", since) if e["grant_type"] == "AssumeRoleWithWebIdentity"]

    @property
    def nexus_url(self) -> str:
        """Quantinuum Nexus (qnexus: ``NEXUS_PROTOCOL=http``, ``NEXUS_DOMAIN``, ``NEXUS_PORT`` from this URL)."""
        return str(self.info["nexus_url"])

    def nexus_tokens(self, user: str = "alice") -> dict[str, str]:
        """A fresh Nexus login for ``user``: ``refresh_token`` and ``access_token``."""
        return dict(self.admin("POST", "nexus/issue", {"user": user}))

    def revoke_nexus(self, user: str | None = None) -> int:
        return int(self.admin("POST", "nexus/revoke", {"user": user} if user else {})["revoked"])

    def approve_nexus_device(self, user_code: str, user: str = "alice") -> bool:
        return bool(self.admin("POST", "nexus/device/approve", {"user_code": user_code, "user": user})["approved"])

    def ionq_key(self, user: str = "alice") -> str:
        """The user's seed IonQ API key."""
        return str(self.credentials()["ionq"][user])

    def issue_ionq_key(self, user: str = "alice") -> str:
        return str(self.admin("POST", "ionq/keys", {"user": user})["key"])

    def revoke_ionq_keys(self, user: str | None = None) -> int:
        return int(self.admin("POST", "ionq/revoke", {"user": user} if user else {})["revoked"])
