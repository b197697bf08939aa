"""The core: what jupyter_qcred knows and does, with no Jupyter import, so the server, the kernel and the CLI share it.

Data flows one way: ``sources`` give a validated ``bundle``; the ``service`` (every operation a person can start)
hands it to the ``manager``, which writes through the providers' stores and keeps one state per credential
(``states``), refreshed ahead of expiry (``policy``) over ``flows`` (request generators run by httpx, sync or
async); views read the manager's snapshots.
"""
