"""The token command as SDK processes run it: ``PYTHON -I -S .../tokenlaunch.py token qcs --profile=P``.

Every SDK call that needs a QCS token runs the hand-off's command (see :mod:`.handoff`), so its cost is paid by every
kernel. Run as a file with ``-S`` the interpreter skips ``site`` (site-packages, every ``.pth`` file, setuptools'
``_distutils_hack``) and the console script's own ``import re``: the fast path needs only the standard library and
this package, whose folder is put on ``sys.path`` here. ``-I`` keeps the script's folder (this package's modules)
and ``PYTHON*`` variables out of the import path. When the fast path cannot answer (a refresh is due, or any other
command), :func:`jupyter_qcred.console.main` starts the full command in a normal interpreter.

No imports at module level beyond ``sys``, which the interpreter has loaded already.
"""

import sys

if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 4)[0])  # .../site-packages (or the checkout) holding jupyter_qcred
    from jupyter_qcred.console import main

    sys.exit(main())
