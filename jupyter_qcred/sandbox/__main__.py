"""``python -m jupyter_qcred.sandbox``: run the loopback fake of the providers' clouds."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from .app import Options, serve
from .config import DAY, SandboxConfig
from .scenarios import SCENARIOS, help_text


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_qcred.sandbox",
        description="Loopback fakes of the quantum clouds jupyter_qcred serves: IBM Quantum, Rigetti QCS, IonQ, "
        "Amazon Braket (STS) and Quantinuum Nexus.",
    )
    parser.add_argument("--port", type=int, default=0, help="plain HTTP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--tls-port", type=int, default=0, help="HTTPS port with --tls (0: any free port)")
    parser.add_argument("--tls", action="store_true", help="also serve HTTPS with a CA written to the state dir")
    parser.add_argument("--state-dir", default=None, help="where ca.pem and sandbox.json go (default: a temp dir)")
    parser.add_argument("--access-token-lifetime", type=int, default=3600, metavar="SECS")
    parser.add_argument("--refresh-token-lifetime", type=int, default=90 * DAY, metavar="SECS")
    parser.add_argument("--iam-token-lifetime", type=int, default=3600, metavar="SECS")
    parser.add_argument(
        "--rotate-refresh-tokens",
        dest="rotate",
        action="store_true",
        default=True,
        help="each refresh returns a new refresh token and invalidates the old (default)",
    )
    parser.add_argument("--no-rotate", dest="rotate", action="store_false", help="keep refresh tokens")
    parser.add_argument(
        "--jupyterhub-client-secret", default=None, help="secret of the confidential OAuth client 'jupyterhub'"
    )
    parser.add_argument(
        "--jupyterhub-redirect-uri",
        action="append",
        default=[],
        help="allowed redirect URI of the 'jupyterhub' client (repeatable; none: any)",
    )
    parser.add_argument("--device-interval", type=int, default=5, metavar="SECS")
    parser.add_argument("--seed", choices=("demo", "none"), default="demo")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        choices=sorted(SCENARIOS),
        help=f"switch a scenario on (repeatable; POST /_sandbox/scenarios while it runs): {help_text()}",
    )
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process dies")
    parser.add_argument(
        "--sts-on-demand",
        action="store_true",
        help="start moto (Amazon Braket's STS) at the first STS request instead of at once: for test runs that start "
        "many short-lived sandboxes, most of which never see an STS request",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    config = SandboxConfig(
        access_token_lifetime=args.access_token_lifetime,
        refresh_token_lifetime=args.refresh_token_lifetime,
        rotate_refresh_tokens=args.rotate,
        iam_token_lifetime=args.iam_token_lifetime,
        jupyterhub_redirect_uris=list(args.jupyterhub_redirect_uri),
        device_interval=args.device_interval,
        scenarios=list(dict.fromkeys(args.scenario)),
    )
    if args.jupyterhub_client_secret is not None:
        config.jupyterhub_client_secret = args.jupyterhub_client_secret
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s sandbox %(levelname)s %(message)s"
    )
    return Options(
        port=args.port,
        tls_port=args.tls_port,
        tls=args.tls,
        state_dir=args.state_dir,
        seed=args.seed,
        exit_with_parent=args.exit_with_parent,
        warm_sts=not args.sts_on_demand,
        config=config,
    )


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
