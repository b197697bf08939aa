"""What ``jupyter qcred`` says about itself: each command's description and exit codes, once.

:data:`EXIT_CODES` is the single source of every ``--help`` and of the README's table (tests/sandbox/test_cli.py checks
that they agree, and runs each path).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ATTENTION, EXIT_NONE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
USABLE_STATES = {"ok", "expiring", "refreshing"}

#: What each exit code means, per command: the single source of the module docstring, every ``--help`` and the
#: README's table (tests/sandbox/test_cli.py checks that they agree, and runs each of these paths).
EXIT_CODES: dict[str, tuple[tuple[int, str], ...]] = {
    "status": (
        (EXIT_OK, "every credential is usable (ok, expiring or refreshing)"),
        (EXIT_FAILED, "the files could not be read (an OS error such as a permission problem)"),
        (
            EXIT_ATTENTION,
            "a credential is not usable: expired, needs_reinit, unsupported (the installed SDK cannot load it), or "
            "error (a file that does not parse, a profile that cannot be used)",
        ),
        (EXIT_NONE, "there is no credential at all"),
    ),
    "refresh": (
        (EXIT_OK, "every chosen credential is usable after the refresh"),
        (EXIT_FAILED, "the files could not be read (an OS error such as a permission problem)"),
        (
            EXIT_ATTENTION,
            "a chosen credential is not usable after the refresh: needs_reinit (its refresh token or API key was "
            "refused), error (the provider unreachable or failing, a file that does not parse), or expired",
        ),
        (EXIT_NONE, "nothing to refresh: no credential of PROVIDER, or none named NAME"),
    ),
    "init": (
        (
            EXIT_OK,
            "it wrote what it was handed and every credential is usable or renewable (an access token that expired "
            "while its refresh token is still there is renewed by the server or by `token`); an IBM account the "
            "installed SDK cannot load (unsupported) is shown but does not count",
        ),
        (
            EXIT_FAILED,
            "nothing was written: there is no bundle, the bundle does not validate, or JupyterHub could not be reached",
        ),
        (
            EXIT_ATTENTION,
            "a credential needs a person: needs_reinit (an expired access token without a refresh token; with "
            "--check, a refresh token or API key the provider refused), or a file that does not parse or a profile "
            "that cannot be used (fix it, or run init --reinit)",
        ),
        (EXIT_NONE, "there is no credential at all, even after writing (the source was empty)"),
    ),
    "token": (
        (EXIT_OK, "a valid access token was printed on stdout"),
        (
            EXIT_FAILED,
            "no token right now: the provider is unreachable or failing, a lock was held too long, or the profile's "
            "credential is externally managed",
        ),
        (
            EXIT_ATTENTION,
            "a person must act: the refresh token was refused, the access token expired without a refresh token, or "
            "the files cannot be used as they are (a file that does not parse, a profile that cannot be used)",
        ),
        (EXIT_NONE, "there is no such profile, or the profile has no credential"),
    ),
    "remove": (
        (EXIT_OK, "it was removed"),
        (
            EXIT_FAILED,
            "nothing was removed: the files could not be changed (an OS error, or a file that does not parse)",
        ),
        (
            EXIT_ATTENTION,
            "nothing was removed: it was not confirmed (you answered no, or stdin is not a terminal and --yes was "
            "not given)",
        ),
        (EXIT_NONE, "there is no such account or profile"),
    ),
    "doctor": (
        (EXIT_OK, "every installed SDK uses the credential the status shows (or none is set up for it)"),
        (
            EXIT_FAILED,
            "an SDK would use another credential than the status shows (a .env up the folder tree, an environment "
            "or profile variable), or could not be asked; each such line says what to do",
        ),
    ),
    "demo": (
        (
            EXIT_OK,
            "stopped with Ctrl-C, SIGTERM or SIGHUP (everything it started stops too), or JupyterLab / "
            "JupyterHub exited normally",
        ),
        (
            EXIT_FAILED,
            "it could not start (the sandbox, JupyterLab or JupyterHub failed, or the port is in use)",
        ),
    ),
    "scan": (
        (EXIT_OK, "no credential value was found"),
        (EXIT_FAILED, "a credential value was found (each one is a line on stdout: where, what kind, whose)"),
        (EXIT_USAGE, "wrong usage: an unknown option, or a PATH that does not exist"),
    ),
}
#: Codes that mean the same for every command (argparse's usage errors, Ctrl-C).
COMMON_EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_USAGE, "wrong usage (an unknown command, option or choice)"),
    (EXIT_INTERRUPTED, "interrupted with Ctrl-C (except demo, which stops with 0)"),
)

#: What each command does, reads and writes: its ``--help`` description (the exit codes follow as the epilog).
DESCRIPTIONS: dict[str, str] = {
    "scan": (
        "Look for credential values in notebooks and text files under each PATH (default: the current folder): the "
        "values the SDK files hold now (~/.qiskit, ~/.qcs, ~/.env, ~/.aws, qnexus's files), values rotated away in the "
        "last 90 days (remembered as hashes only), and tokens of the clouds' public formats (IBM Cloud API keys, QCS "
        "and Nexus JWTs by their issuer, IonQ keys where they are assigned). Notebooks are read per cell, source and "
        "outputs, and each finding is reported as file:cell N:line L (file:cell N:output M:line L in an output) or "
        "file:line L, with the kind, the provider and at most the last four characters, never the value. In a git "
        "work tree it reads what git would commit (tracked files and untracked ones not ignored); elsewhere it skips "
        "tools' caches, node_modules and virtual environments. Files over 5 MB and binary files are skipped "
        "(--verbose lists them). Offline; writes nothing. For pre-commit: docs/leak-guard.md."
    ),
    "status": (
        "Show the state of every credential (ok, expiring, refreshing, expired, needs_reinit, unsupported, error, "
        "absent) with "
        "its expiry, account and, for each problem, what to do. Offline: it only reads ~/.qcs and ~/.qiskit and "
        "writes nothing. --json prints the status JSON the REST API and the notebook also give; tokens appear "
        "only masked to their last four characters."
    ),
    "refresh": (
        "Renew access tokens now and check every chosen credential with its provider (user and groups, hubs and "
        "instances). Refreshes once for every process: it takes the files' lock and asks for a token only if "
        "no other process renewed it meanwhile; new tokens are written to ~/.qcs/secrets.toml. A refusal or an "
        "outage becomes the credential's state; nothing the provider refuses is written."
    ),
    "init": (
        "Write the credentials a source hands over (the spawn bundle in QCRED_BUNDLE or QCRED_BUNDLE_FILE, the "
        "SDKs' environment variables, or JupyterHub) into the SDKs' own files: ~/.qcs/settings.toml and "
        "secrets.toml, ~/.qiskit/qiskit-ibm.json and qiskitrc. Entries it does not own are kept; a newer token "
        "already on disk is kept. Offline unless --from hub or --check.\n\n"
        "Made for start scripts (`jupyter qcred init && ...`): an access token that expired while its refresh "
        "token is still there is fine (exit 0); only what needs a person is 3.\n\n"
        "QCS credentials are handed off: the SDKs read an externally_managed credential that runs "
        "`jupyter-qcred token qcs`, and the tokens live in `jupyter_qcred-NAME`, so only jupyter_qcred ever "
        "spends the refresh token. --handoff files puts them back as plain token payloads for every profile "
        "(with or without a source to write): run it before removing jupyter_qcred."
    ),
    "token": (
        "Print a valid QCS access token on stdout, renewing it first if it is due (once for every process, "
        "under the lock of ~/.qcs/secrets.toml), so the QCS SDK can use `jupyter qcred token qcs` as an "
        "externally_managed command. Under JupyterHub, a refresh token the identity provider refuses makes it "
        "pull fresh credentials from the hub first. The token is the only output; messages go to stderr."
    ),
    "remove": (
        "Remove an IBM Quantum account (from ~/.qiskit/qiskit-ibm.json and qiskitrc), a Rigetti QCS profile "
        "(from ~/.qcs/settings.toml, and its credential from secrets.toml when no other profile uses it), the IonQ "
        "key (from ~/.env), an Amazon Braket profile (from ~/.aws/config, with its token files) or the Quantinuum "
        "Nexus login (qnexus's token files). Every "
        "other entry and comment is kept; if it was the default, the message says which one is the default now. "
        "Asks for confirmation on a terminal; --yes removes without asking (for scripts)."
    ),
    "doctor": (
        "Ask each installed SDK (qiskit-ibm-runtime, the QCS clients and pyquil, qiskit-ionq, boto3, qnexus) which "
        "credential it will actually use in PATH (default: the current folder), by running the SDK's own "
        "resolution in a subprocess with this environment and PATH as its working folder, the way a notebook "
        "there runs. Each line names where the credential comes from (a file, an environment variable, a .env "
        "up the folder tree, a profile variable such as QCS_PROFILE_NAME or AWS_PROFILE), whether it is the one "
        "`status` shows (compared by fingerprint, never by value) and what to do when it is not; then the SDK "
        "adapters that are not acting. Offline; writes nothing. In a notebook, `%qcred doctor` says the same for "
        "the notebook's folder."
    ),
    "demo": (
        "Start the loopback sandbox (stand-ins for the quantum clouds) and JupyterLab with the "
        "extension, or with --hub a local JupyterHub that logs in through the sandbox. It runs with HOME set to "
        "a demo folder under Jupyter's data directory, so your own ~/.qcs and ~/.qiskit are never read or "
        "written. Runs until Ctrl-C (or SIGTERM, SIGHUP), which stops everything it started."
    ),
}
#: Widest help text; narrower terminals get what argparse itself uses (their width less two columns).
HELP_WIDTH = 100


def fill(text: str, width: int = HELP_WIDTH, indent: str = "") -> str:
    return "\n\n".join(
        textwrap.fill(part, width=width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)
        for part in text.split("\n\n")
    )


def _code_lines(codes: Iterable[tuple[int, str]], width: int = HELP_WIDTH, indent: str = "  ") -> str:
    """``  0    meaning`` lines, the meaning wrapped under itself."""
    return "\n".join(
        textwrap.fill(
            meaning,
            width=width,
            initial_indent=f"{indent}{code:<5}",
            subsequent_indent=" " * (len(indent) + 5),
            break_on_hyphens=False,
        )
        for code, meaning in codes
    )


def exit_code_rows() -> list[tuple[str, int, str]]:
    """(command, code, meaning) for every command, then the codes every command shares: the overall table."""
    rows = [(command, code, meaning) for command, codes in EXIT_CODES.items() for code, meaning in codes]
    return rows + [("every command", code, meaning) for code, meaning in COMMON_EXIT_CODES]


def exit_codes_text(width: int = HELP_WIDTH) -> str:
    """The overall table as plain text (``jupyter qcred --help`` and this module's docstring)."""
    blocks = []
    for command in (*EXIT_CODES, "every command"):
        codes = [(code, meaning) for name, code, meaning in exit_code_rows() if name == command]
        lines = _code_lines(codes, width=width, indent=" " * 16).splitlines()
        lines[0] = f"  {command:<14}" + lines[0][16:]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def command_epilog(command: str, width: int = HELP_WIDTH) -> str:
    """The exit codes of one command (its own and the shared ones, in order), as its ``--help`` ends."""
    own = {code for code, _ in EXIT_CODES[command]}
    common = [
        (code, meaning)
        for code, meaning in COMMON_EXIT_CODES
        if code not in own and (command, code) != ("demo", EXIT_INTERRUPTED)
    ]
    codes = sorted((*EXIT_CODES[command], *common))
    return "exit codes:\n" + _code_lines(codes, width=width)


def readme_section() -> str:
    """The README's "Command line" reference: commands and the exit-code table (the README holds this text)."""
    lines, previous = [], None
    for command, code, meaning in exit_code_rows():
        label = "" if command == previous else (f"`{command}`" if command in EXIT_CODES else command)
        lines.append(f"| {label} | {code} | {meaning} |")
        previous = command
    rows = "\n".join(lines)
    return (
        "```\n"
        "jupyter qcred status [--json]                 every credential's state (offline: reads the files)\n"
        "jupyter qcred refresh [PROVIDER] [--name NAME] [--json]\n"
        "                                              refresh now, once for every process\n"
        "jupyter qcred init [--from auto|bundle|env|hub] [--reinit] [--check] [--quiet] [--handoff command|files]\n"
        "                                              write what a source hands over into the SDKs' files\n"
        "jupyter qcred token qcs [--profile P]         print a valid access token (refreshing it first if due)\n"
        "jupyter qcred remove PROVIDER NAME [--yes]    remove a credential (asks first on a terminal)\n"
        "jupyter qcred doctor [PATH] [--json]          which credential each installed SDK will use in PATH\n"
        "jupyter qcred scan [PATH...] [--json] [--verbose] [--no-git]\n"
        "                                              credential values in notebooks and files, before a commit\n"
        "jupyter qcred demo [--hub] [--port N] [--no-browser] [--scenario NAME] [--keep] [--env|--credentials]\n"
        "                   [--user NAME]\n"
        "```\n"
        "`jupyter qcred COMMAND --help` says what each command reads and writes. Exit codes:\n\n"
        "| command | exit | meaning |\n"
        "|---|---|---|\n"
        f"{rows}\n"
    )
