#!/usr/bin/env bash
# lrcourse's two commands (see README.md):
#   ./course.sh lab    install everything into .venv and open the course in JupyterLab
#   ./course.sh test   install everything into .venv and run the whole test suite
#
# Environment:
#   PYTHON            interpreter used to create the venv (default: python3, needs 3.11+)
#   LRCOURSE_VENV     where the venv lives (default: .venv)
#   TORCH_INDEX_URL   package index for torch, e.g. https://download.pytorch.org/whl/cpu for the
#                     small CPU-only build (default: pip's configured index)
set -euo pipefail
cd "$(dirname "$0")"

TORCH_VERSION="2.13.0"
VENV="${LRCOURSE_VENV:-.venv}"

install() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    # shellcheck disable=SC1091
    . "$VENV/bin/activate"
    python - <<'PY' || { echo "lrcourse needs Python 3.11 or newer" >&2; exit 2; }
import sys; sys.exit(sys.version_info < (3, 11))
PY
    # torch first and pinned, so nothing later resolves a multi-GB CUDA build by accident.
    if ! python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" \
            2>/dev/null; then
        pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "torch==$TORCH_VERSION"
    fi
    # The rest only when pyproject.toml or the extras changed since the last install.
    local stamp="$VENV/.lrcourse-install-$(cat pyproject.toml | sha256sum | cut -c1-16)${extras:+-test}"
    if [ ! -f "$stamp" ]; then
        pip install -e ".$extras"
        # jsonschema imports rfc3987-syntax when present, which costs ~5 s at every Jupyter
        # server and kernel-manager start; it falls back cleanly without it.
        pip uninstall -y -q rfc3987-syntax >/dev/null 2>&1 || true
        rm -f "$VENV"/.lrcourse-install-*
        touch "$stamp"
    fi
}

case "${1:-}" in
    lab)
        install ""
        # containers often run as root, which JupyterLab refuses unless told otherwise
        root_flag=()
        if [ "$(id -u)" -eq 0 ]; then root_flag=(--allow-root); fi
        exec jupyter lab "${root_flag[@]}" notebooks/01_start_here.ipynb
        ;;
    test)
        install "[test]"
        echo "== lrcourse validate quizzes/"
        python -m lrcourse validate quizzes/
        echo "== ruff"
        ruff check lrcourse tests bench
        echo "== ruff format --check"
        ruff format --check lrcourse tests bench
        echo "== mypy --strict (settings in pyproject.toml)"
        mypy
        echo "== pytest (unit tests, exercises, notebooks under nbval, browser tests)"
        set +e
        python -m pytest --nbval-lax "${@:2}"
        status=$?
        set -e
        if [ "$status" -eq 5 ]; then
            echo "pytest collected no tests: treating that as a failure" >&2
            exit 1
        fi
        exit "$status"
        ;;
    *)
        echo "usage: ./course.sh lab | test [pytest args]" >&2
        exit 2
        ;;
esac
