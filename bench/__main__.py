"""``python -m bench``: see the package docstring."""

import sys

from bench.run import main

sys.exit(main())
