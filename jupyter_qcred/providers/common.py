"""Where the later providers' shared parts used to live; they are in :mod:`jupyter_qcred.providers.shared` now (one
module each), and these names keep code written against this module working."""

from __future__ import annotations

from .shared.checks import Checks, status_from_checks
from .shared.client import arun_flow, run_flow
from .shared.linefile import LineFile
from .shared.renewer import token_due
from .shared.specprovider import SpecProvider

__all__ = ["Checks", "LineFile", "SpecProvider", "arun_flow", "run_flow", "status_from_checks", "token_due"]
