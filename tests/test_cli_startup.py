"""The CLI builds only the options of the subcommand it runs, so a lesson's
``python -m lrcourse progress`` cell does not import the sandbox, the grader or the validator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lrcourse.cli import _SUBCOMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "lrcourse.sandbox", "lrcourse.autograde", "lrcourse.validate")


def test_progress_imports_none_of_the_other_commands_modules(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from lrcourse.cli import main\n"
        f"code = main(['progress', '--db', {str(tmp_path / 'p.sqlite3')!r}])\n"
        f"print(sorted(m for m in sys.modules if m == 'torch' or m.startswith({HEAVY!r})))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", sorted(_SUBCOMMANDS))
def test_one_subcommands_parser_matches_the_full_one(command: str) -> None:
    """Same options and defaults whether the parser is built for one command or for all."""

    def options(parser_command: str | None) -> dict[str, object]:
        parser = build_parser(parser_command)
        sub = next(a for a in parser._actions if a.dest == "command")
        chosen = sub.choices[command]  # type: ignore[index]  # argparse's choices is loosely typed
        return {a.dest: (a.default, a.option_strings) for a in chosen._actions}

    assert options(command) == options(None)
    assert len(options(command)) > 1  # more than --help


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser("progress").parse_args(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in _SUBCOMMANDS)


def test_python_m_lrcourse_flushes_its_output_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """``run`` ends the process without the interpreter's teardown: output and code survive."""
    db = str(tmp_path / "p.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "lrcourse", "progress", "--db", db],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and f"progress store: {db}" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "lrcourse", "check", "no-such-exercise", str(tmp_path / "x.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2 and "no such file" in bad.stderr
