"""A real local JupyterHub logging users in through the sandbox's OpenID Connect provider.

Used by ``jupyter qcred demo --hub`` and the end-to-end tests: configurable-http-proxy from npm, the simple local
process spawner, ``enable_auth_state`` with a generated crypt key, oauthenticator's ``GenericOAuthenticator``
against the sandbox — the way a QCS JupyterHub logs in against Rigetti's identity provider — and
``jupyter_qcred.hub.configure(c)``. IBM credentials reach auth_state through ``modify_auth_state_hook`` (as an
institutional secret store would provide them).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ..sandbox.client import Sandbox
from ..sandbox.sts import DEMO_ROLE_ARN
from .processes import ProcessTree, StopSignals, free_port, tools_path, wait_until_serving
from .proxy import ensure_proxy
from .world import sandbox_environment

CONFIG_TEMPLATE = '''\
# Written by jupyter_qcred.demo.hub: a local JupyterHub against the sandbox services.
import json
import urllib.request

import jupyter_qcred.hub
from jupyter_qcred.sandbox.client import Sandbox
from jupyter_qcred.sandbox.plugins import stand_ins

settings = json.loads({settings!r})

c.JupyterHub.bind_url = settings["bind_url"]
c.JupyterHub.hub_bind_url = settings["hub_bind_url"]
c.ConfigurableHTTPProxy.api_url = settings["proxy_api_url"]
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.ConfigurableHTTPProxy.pid_file = settings["state_dir"] + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + settings["state_dir"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = settings["state_dir"] + "/cookie_secret"
c.JupyterHub.pid_file = settings["state_dir"] + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = settings["state_dir"] + "/home/{{username}}"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.cmd = settings["spawner_cmd"]  # this interpreter's, whatever PATH says
c.Spawner.args = settings["spawner_args"]
c.Spawner.environment = settings["spawner_environment"]

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.client_id = settings["client_id"]
c.GenericOAuthenticator.client_secret = settings["client_secret"]
c.GenericOAuthenticator.oauth_callback_url = settings["public_url"] + "hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = settings["authorize_url"]  # a page for the browser: plain http
c.GenericOAuthenticator.token_url = settings["issuer"] + "/v1/token"
c.GenericOAuthenticator.userdata_url = settings["issuer"] + "/v1/userinfo"
c.GenericOAuthenticator.username_claim = "preferred_username"
c.GenericOAuthenticator.scope = ["openid", "profile", "email", "offline_access"]
c.GenericOAuthenticator.allow_all = True
c.Authenticator.auth_refresh_age = settings["auth_refresh_age"]


def ibm_from_secret_store(authenticator, auth_state):
    """IBM, IonQ and Nexus keys for this user from the (sandbox's) institutional secret store; the legacy IBM
    account only while the sandbox's 'legacy' scenario is on (read at each login)."""
    user = (auth_state.get("oauth_user") or {{}}).get("preferred_username")
    with urllib.request.urlopen(settings["sandbox_admin"] + "/credentials", timeout=10) as answer:
        store = json.load(answer)
    ibm, ionq = store["ibm"].get(user), store.get("ionq", {{}}).get(user)
    if ibm:
        auth_state["qcred"] = {{"version": 1, "ibm": [
            {{"name": "default-ibm-quantum-platform", "channel": "ibm_quantum_platform", "token": ibm["apikey"],
             "instance": ibm["instance"], "url": settings["runtime_url"], "default": True}},
        ]}}
        if "legacy" in store.get("scenarios", []):
            auth_state["qcred"]["ibm"].append({{"name": "legacy", "channel": "ibm_quantum",
                                               "token": ibm["legacy_token"], "url": settings["ibm_auth_url"]}})
        if ionq:
            auth_state["qcred"]["ionq"] = [{{"key": ionq, "url": settings["ionq_url"]}}]
        issue = urllib.request.Request(
            settings["sandbox_admin"] + "/nexus/issue", data=json.dumps({{"user": user}}).encode(), method="POST"
        )
        with urllib.request.urlopen(issue, timeout=10) as answer:
            nexus = json.load(answer)
        auth_state["qcred"]["nexus"] = [{{"refresh_token": nexus["refresh_token"], "url": settings["nexus_url"]}}]
        # The clouds whose stand-in lives beside their provider and whose keys come from the secret store.
        sandbox = Sandbox.attach(settings["sandbox_info"])
        for stand_in in stand_ins():
            if stand_in.key not in settings["login_clouds"]:
                entries = stand_in.bundle_entries(sandbox, user)
                if entries:
                    auth_state["qcred"][stand_in.key] = entries
    return auth_state


c.GenericOAuthenticator.modify_auth_state_hook = ibm_from_secret_store
{admin}
jupyter_qcred.hub.configure(c, qcs=settings["qcs"], braket=settings["braket"], **settings["login_clouds"])
{extra}
'''


class LocalHub:
    """A JupyterHub process with the configuration above; a context manager that waits until it answers."""

    def __init__(
        self,
        sandbox: Sandbox,
        state_dir: Path,
        *,
        port: int | None = None,
        client_secret: str,
        auth_refresh_age: int = 300,
        extra_config: str = "",
        admin_config: str = "",
        with_extension: bool = True,
        environment: dict[str, str] | None = None,
        crypt_key: str | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.public_url = f"http://127.0.0.1:{self.port}/"
        self.client_secret = client_secret
        self.auth_refresh_age = auth_refresh_age
        self.extra_config = extra_config
        #: Configuration an admin wrote before calling configure(c) (hooks and roles it must compose with).
        self.admin_config = admin_config
        self.with_extension = with_extension
        self.environment = environment or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.tree: ProcessTree | None = None
        self.api_token = secrets.token_hex(24)
        #: The key of auth_state's encryption (kept across restarts of this hub, so its database stays readable).
        self.crypt_key = crypt_key or secrets.token_hex(32)
        #: Where single-user servers reach the hub's API directly (not through the proxy), like a pod does.
        self.hub_api_url = f"http://127.0.0.1:{free_port()}/hub/api"

    def write_config(self) -> Path:
        """Write jupyterhub_config.py into the state folder."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "home").mkdir(exist_ok=True)
        spawner_env = {
            "PATH": tools_path(),  # kernels and terminals find this environment's tools first
            **sandbox_environment(self.sandbox),
            **self.environment,
        }
        args = ["--allow-root"] if os.getuid() == 0 else []
        if not self.with_extension:
            args.append("--ServerApp.jpserver_extensions={'jupyter_qcred': False}")
        settings = {
            "bind_url": self.public_url,
            "public_url": self.public_url,
            "hub_bind_url": self.hub_api_url.removesuffix("/hub/api"),
            "proxy_api_url": f"http://127.0.0.1:{free_port()}",
            "proxy": ensure_proxy(),
            "state_dir": str(self.state_dir),
            "spawner_cmd": [sys.executable, "-m", "jupyterhub.singleuser"],
            "spawner_args": args,
            "spawner_environment": spawner_env,
            "client_id": "jupyterhub",
            "client_secret": self.client_secret,
            "issuer": self.sandbox.qcs_issuer,
            "authorize_url": self.sandbox.http_url + "/oauth2/sandbox/v1/authorize",
            "auth_refresh_age": self.auth_refresh_age,
            "sandbox_admin": self.sandbox.admin_url,
            "runtime_url": self.sandbox.runtime_url,
            "ibm_auth_url": self.sandbox.ibm_auth_url,
            "ionq_url": self.sandbox.ionq_url,
            "nexus_url": self.sandbox.nexus_url,
            "sandbox_info": self.sandbox.info,
            # Clouds the hub's login itself gives, by the stand-ins beside their providers (Azure Quantum).
            "login_clouds": self._login_clouds(),
            # The hub's login (its id_token) assumes this AWS role in the user's kernels: Amazon Braket.
            "braket": {"role_arn": DEMO_ROLE_ARN},
            "qcs": {
                "issuer": self.sandbox.qcs_issuer,
                "api_url": self.sandbox.qcs_api_url,
                "grpc_api_url": self.sandbox.qcs_grpc_url,
                "client_id": "jupyterhub",
                "refresh": "hub",
                "login_client_id": self.sandbox.qcs_client_id,  # the servers' own browser logins: a public client
            },
        }
        extra = self.extra_config + (
            "\nc.JupyterHub.services = list(c.JupyterHub.get('services') or []) + "
            f"[{{'name': 'qcred-tests', 'api_token': {self.api_token!r}}}]\n"
            "c.JupyterHub.load_roles = list(c.JupyterHub.load_roles) + [{'name': 'qcred-tests', "
            "'scopes': ['admin:users', 'admin:servers', 'admin:auth_state', 'access:servers', 'tokens', "
            "'read:metrics'], 'services': ['qcred-tests']}]\n"
        )
        path = self.state_dir / "jupyterhub_config.py"
        path.write_text(CONFIG_TEMPLATE.format(settings=json.dumps(settings), admin=self.admin_config, extra=extra))
        return path

    def _login_clouds(self) -> dict[str, dict[str, Any]]:
        """``configure(c, <key>=options)`` for each stand-in whose cloud the hub's login gives."""
        from ..sandbox.plugins import stand_ins

        return {
            stand_in.key: options
            for stand_in in stand_ins()
            if (options := stand_in.hub_options(self.sandbox)) is not None
        }

    def start(self, timeout: float = 60.0) -> LocalHub:
        """Start the hub and wait for its API to answer."""
        config = self.write_config()
        env = {**os.environ, "JUPYTERHUB_CRYPT_KEY": self.crypt_key, "PATH": tools_path()}
        if self.sandbox.ca_file:
            env["SSL_CERT_FILE"] = self.sandbox.ca_file
        with (self.state_dir / "jupyterhub.log").open("ab") as log:
            # No terminal on stdin: a server that inherits one answers SIGINT with a "shut down? (y/n)" prompt,
            # and the hub's cleanup would wait out its timeout.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.state_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.tree = ProcessTree(self.process)

        def answers() -> bool:
            with urllib.request.urlopen(self.public_url + "hub/api/", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)

        try:
            wait_until_serving(
                self.process,
                answers,
                timeout=timeout,
                what="JupyterHub",
                log_tail=lambda: f"see {self.state_dir / 'jupyterhub.log'}",
            )
        except BaseException:  # also a stop signal: ``with`` does not call __exit__ when __enter__ raises
            self.stop()
            raise
        return self

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the hub's REST API as the test service (admin scopes)."""
        request = urllib.request.Request(  # noqa: S310
            self.public_url + "hub/api" + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.api_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                text = answer.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"hub API {method} {path}: HTTP {exc.code}") from None
        return json.loads(text) if text else None

    def metrics(self) -> str:
        """The hub's Prometheus metrics (``/hub/metrics``), as the test service (``read:metrics``) sees them."""
        request = urllib.request.Request(  # noqa: S310
            self.public_url + "hub/metrics", headers={"Authorization": f"token {self.api_token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return str(answer.read().decode())

    def login(self, user: str) -> None:
        """Log ``user`` in without a browser: the hub's OAuth login, the sandbox's sign-in form, the hub's callback
        (so auth_state holds real tokens the sandbox issued); no server is started."""
        import httpx

        with httpx.Client(timeout=30) as client:
            answer = client.get(self.public_url + "hub/oauth_login")
            if answer.status_code != 302:
                raise RuntimeError(f"hub oauth_login answered {answer.status_code}, expected a redirect")
            authorize = answer.headers["location"]
            form = client.get(authorize)
            if form.status_code != 200 or 'name="username"' not in form.text:
                raise RuntimeError(f"the sandbox's sign-in page answered {form.status_code}")
            signed_in = client.post(authorize, data={"username": user})
            if signed_in.status_code != 302:
                raise RuntimeError(f"the sandbox's sign-in answered {signed_in.status_code}")
            callback = client.get(urljoin(authorize, signed_in.headers["location"]))
            if callback.status_code != 302:
                raise RuntimeError(f"the hub's OAuth callback answered {callback.status_code}: {callback.text[-300:]}")
        model = self.api("GET", f"/users/{user}")
        if model is None or model.get("name") != user:
            raise RuntimeError(f"{user} is not a hub user after logging in")

    def wait(self) -> int:
        """Wait until the hub exits (keeping track of what it starts); returns its exit code."""
        assert self.tree is not None, "start the hub first"
        return self.tree.wait()

    def stop(self) -> None:
        """Stop the hub and everything it started: the proxy and the users' servers run in sessions of their own.

        The hub stops them itself on SIGTERM (``cleanup_servers``); whatever is left after it exited (it was
        killed, or it crashed earlier) is stopped from what was seen of its process tree.
        """
        if self.tree is None:
            return
        self.tree.stop(timeout=30)
        self.process = self.tree = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: What a hub demo's start clears (unless --keep): the hub's state (database, users' homes) and the sandbox's folder.
HUB_PARTS = ("hub", "sandbox")


def run_hub_demo(
    port: int = 8888,
    open_browser: bool = True,
    signals: StopSignals | None = None,
    scenarios: tuple[str, ...] = (),
    keep: bool = False,
) -> int:
    """``jupyter qcred demo --hub``: the sandbox and a local hub until the hub exits or a stop signal arrives.

    Each start is clean unless ``keep`` (see ``world.start_afresh``); configurable-http-proxy is installed first if
    missing (``proxy.ensure_proxy`` says what and where). ``signals`` (see ``demo.lab.run_demo``) turns stop signals
    into an exception that unwinds through the ``with`` below, which stops the hub, its proxy and the users'
    servers, then the sandbox.
    """
    from .credentials import paste_hint
    from .world import demo_root, published_environment, sandbox_environment, shell_hint, start_afresh

    root = demo_root() / "hub"
    fresh = start_afresh(root, HUB_PARTS, keep)
    ensure_proxy(report=lambda line: print(line, flush=True))
    secret = secrets.token_urlsafe(24)
    redirect = f"http://127.0.0.1:{port}/hub/oauth_callback"
    with (
        Sandbox(
            tls=True,
            state_dir=root / "sandbox",
            jupyterhub_client_secret=secret,
            jupyterhub_redirect_uris=[redirect],
            scenarios=list(scenarios),
        ) as sandbox,
        LocalHub(sandbox, root / "hub", port=port, client_secret=secret, crypt_key=_crypt_key(root / "hub")) as hub,
    ):
        homes = hub.state_dir / "home"
        environment = sandbox_environment(sandbox)
        with published_environment(root, environment, homes=homes, sandbox_admin=sandbox.admin_url) as lines:
            print(
                f"jupyter qcred demo --hub: JupyterHub at {hub.public_url} — log in as alice or bob on the sandbox's "
                f"login page. Ctrl-C stops.\n{fresh}\nEach user's credentials are in {homes}/USER once they logged "
                "in (the lines below are alice's; `--env --user bob` gives bob's).\n"
                + paste_hint(sandbox, "jupyter qcred demo --hub", None)
                + "\n"
                + shell_hint(root, lines, "jupyter qcred demo --hub"),
                flush=True,
            )
            if open_browser:
                import webbrowser

                webbrowser.open(hub.public_url)
            try:
                return hub.wait()
            finally:
                if signals is not None:
                    signals.hold()


def _crypt_key(state_dir: Path) -> str:
    """The hub's auth_state key, kept (0600) with the hub's database so that a ``--keep`` start can still read the
    auth_state it holds; a fresh start cleared both."""
    path = state_dir / "crypt_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key
