"""``python -m skunlearn``: the same as the ``skunlearn`` command."""

import sys

from .cli import main

sys.exit(main())
