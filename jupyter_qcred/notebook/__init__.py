"""Runs in the kernel: the ``%qcred`` magics (``magics``), where their answers come from (``backend``: the server, or
the files when there is none), the live feed (``feed``), the status result (``status``) and the widget (``widget``).

Nothing here is imported by ``%load_ext jupyter_qcred`` beyond the magics: the kernel must stay light.
"""
