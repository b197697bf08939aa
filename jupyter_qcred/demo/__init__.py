"""For people trying jupyter_qcred: ``jupyter qcred demo`` (``lab``), ``demo --hub`` (``hub``), what both hand the
user (``world``: alice's bundle, the sandbox's variables, the demo folder), the local processes they start and wait
for (``processes``), and configurable-http-proxy from npm (``proxy``)."""

from __future__ import annotations


def run_demo(
    hub: bool = False,
    port: int = 8888,
    open_browser: bool = True,
    scenarios: tuple[str, ...] = (),
    keep: bool = False,
) -> int:
    """Run the demo until it is stopped (Ctrl-C, SIGTERM, SIGHUP: exit code 0) or JupyterLab / the hub exits.

    Every stop signal becomes an exception in this thread, so each process the demo started is stopped by the
    ``with`` or ``finally`` that started it (Python's default would end the demo alone on SIGTERM and SIGHUP).
    """
    from .processes import StopRequested, StopSignals

    with StopSignals() as signals:
        try:
            if hub:
                from .hub import run_hub_demo

                return run_hub_demo(
                    port=port, open_browser=open_browser, signals=signals, scenarios=scenarios, keep=keep
                )
            from .lab import run_lab_demo

            return run_lab_demo(port=port, open_browser=open_browser, signals=signals, scenarios=scenarios, keep=keep)
        except StopRequested:
            return 0  # stopped as asked, everything it started included
