"""``python -m lrcourse`` runs the command-line interface."""

from lrcourse.cli import run

run()
