"""Where the credential files live and how patient to be with providers, resolved once from the environment.

Everything follows ``$HOME``; QCS honours ``QCS_SETTINGS_FILE_PATH`` / ``QCS_SECRETS_FILE_PATH`` like its SDK.
The server extension builds this from its traitlets; the CLI and the notebook from the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from .policy import RefreshPolicy


@dataclasses.dataclass(frozen=True)
class Settings:
    """Locations and network settings shared by every provider."""

    home: Path
    qcs_settings_path: Path
    qcs_secrets_path: Path
    qiskit_dir: Path
    timeout: float = 20.0
    lock_timeout: float = 60.0
    policy: RefreshPolicy = dataclasses.field(default_factory=RefreshPolicy)
    #: How QCS SDK processes get tokens of credentials we write: "command" (our token command, see
    #: providers/qcs/handoff.py) or "files" (plain token payloads, the SDK refreshes by itself).
    qcs_handoff: str = "command"
    environ: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def qiskitrc_path(self) -> Path:
        """The legacy provider's INI file."""
        return self.qiskit_dir / "qiskitrc"

    @property
    def qiskit_ibm_json_path(self) -> Path:
        """qiskit-ibm-runtime's accounts file."""
        return self.qiskit_dir / "qiskit-ibm.json"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Resolve paths like the SDKs do; ``overrides`` (e.g. from traitlets) win over the environment."""
        env = dict(os.environ if environ is None else environ)
        home = Path(str(overrides.pop("home", None) or env.get("HOME") or Path.home())).expanduser()
        qcs_dir = home / ".qcs"
        values: dict[str, object] = {
            "home": home,
            "qcs_settings_path": Path(env.get("QCS_SETTINGS_FILE_PATH") or qcs_dir / "settings.toml"),
            "qcs_secrets_path": Path(env.get("QCS_SECRETS_FILE_PATH") or qcs_dir / "secrets.toml"),
            "qiskit_dir": home / ".qiskit",
            "qcs_handoff": env.get("QCRED_QCS_HANDOFF") or "command",
            "environ": env,
        }
        values.update({key: value for key, value in overrides.items() if value not in (None, "")})
        for key in ("qcs_settings_path", "qcs_secrets_path", "qiskit_dir"):
            values[key] = Path(str(values[key])).expanduser()
        return cls(**values)  # type: ignore[arg-type]
