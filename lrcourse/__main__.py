"""``python -m lrcourse`` runs the command-line interface."""

import sys

from lrcourse.cli import main

sys.exit(main())
