"""``python -m tests.mutation [--jobs N] [fault …]``: see tests/mutation/stage.py."""

import sys

from tests.mutation.stage import main

sys.exit(main())
