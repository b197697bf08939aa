"""``python -m jupyter_qcred.cli``: the same as ``jupyter qcred``."""

import sys

from . import main

sys.exit(main())
