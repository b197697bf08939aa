"""jupyter_qcred: quantum-cloud credentials that just work in hosted Jupyter (IBM Quantum, Rigetti QCS, IonQ,
Amazon Braket, Quantinuum Nexus, Azure Quantum, IQM, qBraid and any registered plugin).

Extension points only; everything heavy is imported lazily so that ``%load_ext jupyter_qcred`` in a kernel stays
cheap.
"""

from __future__ import annotations

from ._version import __version__

# Not ``typing``: ``jupyter-qcred token qcs`` imports this package in every SDK process, and typing alone costs as
# much as the rest of its fast path (the annotations are strings, so only type checkers need these names).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["__version__", "credential", "pyquil_client"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Jupyter Server finds the extension app here."""
    from .server.app import QCredApp

    return [{"module": "jupyter_qcred.server.app", "app": QCredApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension shipped in the package."""
    return [{"src": "labextension", "dest": "jupyter-qcred"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_qcred``: register the ``%qcred`` magic."""
    from .notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext jupyter_qcred``: stop the widget's background updates."""
    from .notebook.magics import unload_ipython_extension as unload

    unload(ipython)


def pyquil_client(profile: str | None = None) -> Any:
    """A pyquil 4 ``QCSClient`` whose QCS tokens come from jupyter_qcred (see
    :mod:`jupyter_qcred.providers.qcs.sdkclient`); pass it as ``client_configuration=``."""
    from .providers.qcs.sdkclient import pyquil_client as make

    return make(profile)


def credential(provider: str, name: str | None = None, kind: str | None = None) -> str:
    """A credential value read from the SDK's files now: what the save guard writes into code instead of a pasted
    token (``jupyter_qcred.credential("ibm", "default", kind="key")``; :mod:`jupyter_qcred.lookup`)."""
    from .lookup import credential as read

    return read(provider, name, kind)
