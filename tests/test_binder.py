"""The Binder (repo2docker) configuration agrees with pyproject.toml and renders.

1. Static checks: every dependency in pyproject.toml is in binder/requirements.txt with a
   compatible pin, torch is the CPU build 2.13.0+cpu from the PyTorch CPU index, Python is
   3.11, postBuild installs the package, the start script and default URL are sane.
2. If jupyter-repo2docker is installed, render the Dockerfile without a Docker engine
   (``--no-build``) and check it installs what the course needs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
TORCH_PIN = "2.13.0+cpu"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
START_NOTEBOOK = "notebooks/01_start_here.ipynb"


# ---- parsing ----------------------------------------------------------------------------------
def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pyproject_deps() -> dict[str, Requirement]:
    reqs = [Requirement(s) for s in _pyproject()["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _binder_lines() -> list[str]:
    """Logical lines of binder/requirements.txt without comments and blanks."""
    out = []
    for raw in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _binder_options() -> list[tuple[str, str]]:
    opts = []
    for line in _binder_lines():
        if line.startswith("-"):
            flag, _, value = line.partition(" ")
            if "=" in flag:
                flag, _, value = flag.partition("=")
            opts.append((flag, value.strip()))
    return opts


def _binder_reqs() -> dict[str, Requirement]:
    reqs = {}
    for line in _binder_lines():
        if line.startswith("-") or line in {".", "./"}:
            continue
        r = Requirement(line)
        name = canonicalize_name(r.name)
        assert name not in reqs, f"binder/requirements.txt lists {r.name} twice"
        reqs[name] = r
    return reqs


def _lower_bound(spec: SpecifierSet) -> Version | None:
    """The smallest version a specifier set names with >=, ==, ~= or > (None when unbounded)."""
    bounds = [
        Version(s.version.rstrip(".*"))
        for s in spec
        if s.operator in {">=", "==", "~=", ">", "==="}
    ]
    return max(bounds) if bounds else None


# ---- 1. static checks ---------------------------------------------------------------------------
def test_every_pyproject_dependency_is_in_binder_with_a_compatible_pin():
    binder = _binder_reqs()
    problems = []
    for name, dep in _pyproject_deps().items():
        if name not in binder:
            problems.append(f"{dep} is missing from binder/requirements.txt")
            continue
        pinned = binder[name]
        lo_py, lo_binder = _lower_bound(dep.specifier), _lower_bound(pinned.specifier)
        if lo_py is not None and (lo_binder is None or lo_binder < lo_py):
            problems.append(f"binder has {pinned}, looser than pyproject's {dep}")
        if lo_binder is not None and not dep.specifier.contains(lo_binder, prereleases=True):
            problems.append(f"binder's {pinned} is outside pyproject's {dep}")
        if dep.extras - pinned.extras:
            problems.append(f"binder's {pinned} lacks extras of {dep}")
    assert not problems, "\n".join(problems)


def test_torch_is_the_cpu_wheel_from_the_pytorch_cpu_index():
    torch = _binder_reqs()["torch"]
    specs = list(torch.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"pin torch exactly, got {torch}"
    assert specs[0].version == TORCH_PIN, f"expected torch=={TORCH_PIN}, got {torch}"
    # the pin is a version pyproject accepts, and the one the test machines run
    assert _pyproject_deps()["torch"].specifier.contains(TORCH_PIN)
    index_flags = {"--extra-index-url", "--index-url"}
    indexes = [v.rstrip("/") for flag, v in _binder_options() if flag in index_flags]
    assert CPU_INDEX in indexes, f"binder/requirements.txt must name the CPU index {CPU_INDEX}"


def test_widgets_extension_is_installed_for_jupyterlab():
    binder = _binder_reqs()
    ipyw = binder["ipywidgets"]
    # ipywidgets >= 8 depends on jupyterlab_widgets, the JupyterLab 4 extension
    assert _lower_bound(ipyw.specifier) >= Version("8"), ipyw
    if "jupyterlab-widgets" in binder:
        assert _lower_bound(binder["jupyterlab-widgets"].specifier) >= Version("3")


def test_python_version_is_311_and_matches_requires_python():
    assert not (ROOT / ".binder").exists(), "repo2docker refuses both binder/ and .binder/"
    # with environment.yml, repo2docker ignores runtime.txt
    assert not (BINDER / "environment.yml").exists()
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    m = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert m, f"runtime.txt must read python-X.Y, got {runtime!r}"
    assert m.group(1) == "3.11"
    assert SpecifierSet(_pyproject()["project"]["requires-python"]).contains(m.group(1) + ".0")


def test_postbuild_installs_the_package_and_fails_loudly():
    post = BINDER / "postBuild"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash"), "postBuild needs a shebang"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    # without set -e a failing step does not stop the build
    assert re.search(r"^set -[a-z]*e", text, re.M), "postBuild must use set -e"
    assert re.search(r"pip install\b.*--no-deps.*\s\.\s*$", text, re.M), (
        "postBuild must install the package itself (repo2docker skips it when binder/ exists)"
    )


def test_start_script_and_default_url():
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable"
    assert 'exec "$@"' in start.read_text(encoding="utf-8"), "start must exec the server command"
    post = (BINDER / "postBuild").read_text(encoding="utf-8")
    m = re.search(r'"default_url":\s*"/lab/tree/([^"]+)"', post)
    assert m and m.group(1) == START_NOTEBOOK
    section = BINDER / "README-section.md"
    if section.exists():
        assert f"urlpath=lab/tree/{START_NOTEBOOK}" in section.read_text(encoding="utf-8")
    if not any((ROOT / "notebooks").glob("*.ipynb")):
        pytest.skip("no lesson notebooks yet; cannot check that the default URL's notebook exists")
    assert (ROOT / START_NOTEBOOK).is_file(), f"Binder opens {START_NOTEBOOK}, which is missing"


# ---- 2. repo2docker rendering -------------------------------------------------------------------
HAVE_R2D = importlib.util.find_spec("repo2docker") is not None


@pytest.fixture(scope="module")
def rendered() -> tuple[str, str]:
    if not HAVE_R2D:
        pytest.skip("jupyter-repo2docker is not installed (pip install jupyter-repo2docker)")
    # --no-build renders the Dockerfile to stdout with no Docker engine; uid 1000 as on mybinder
    cmd = [
        sys.executable,
        "-m",
        "repo2docker",
        "--no-build",
        "--no-run",
        "--debug",
        "--user-id",
        "1000",
        "--user-name",
        "jovyan",
        str(ROOT),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "FROM " in proc.stdout, proc.stdout[:2000]
    return proc.stdout, proc.stderr


def test_repo2docker_uses_python_311(rendered):
    dockerfile, log = rendered
    assert "python=3.11" in log, log[-2000:]
    from escapism import unescape  # a repo2docker dependency

    # build_script_files/<escaped source path>-<6 hex hash>
    names = re.findall(r"build_script_files/(\S+?)-[0-9a-f]{6}\s", dockerfile)
    copied = [unescape(n, escape_char="-") for n in names]
    assert any("environment.py-3.11-" in c for c in copied), copied


def test_repo2docker_installs_the_course(rendered):
    dockerfile, _ = rendered
    lines = dockerfile.splitlines()

    def index(pattern: str) -> int:
        for i, line in enumerate(lines):
            if re.search(pattern, line):
                return i
        raise AssertionError(f"rendered Dockerfile has no line matching {pattern!r}")

    pip_req = index(r'pip install .*-r "?binder/requirements\.txt')
    copy_src = index(r"^COPY .*src/ \$\{REPO_DIR\}/")
    post = index(r"^RUN \./binder/postBuild")
    # requirements (torch from the CPU index) in a cached layer before the repo copy;
    # postBuild (which pip-installs the package) after it
    assert pip_req < copy_src < post
    assert re.search(r'R2D_ENTRYPOINT="?\$\{REPO_DIR\}/binder/start', dockerfile)
    assert "USER ${NB_USER}" in "\n".join(lines[copy_src:post])  # postBuild runs as the user
    # the file pip reads there is ours: it carries the CPU index and the +cpu pin
    req = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    assert CPU_INDEX in req and f"torch=={TORCH_PIN}" in req


# python-json-logger (imported by repo2docker) warns about its own module move
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_repo2docker_python_api_picks_the_python_buildpack():
    if not HAVE_R2D:
        pytest.skip("jupyter-repo2docker is not installed (pip install jupyter-repo2docker)")
    from repo2docker.app import Repo2Docker
    from repo2docker.utils import chdir

    r2d = Repo2Docker()
    with chdir(str(ROOT)):
        for bp_class in r2d.buildpacks:
            bp = bp_class(base_image=r2d.base_image)
            if bp.detect():
                break
        else:  # pragma: no cover - a binder/ folder always matches a buildpack
            pytest.fail("no repo2docker buildpack detected the repository")
        assert type(bp).__name__ == "PythonBuildPack"
        assert bp.python_version == "3.11"
        assert "binder/requirements.txt" in json.dumps(bp.get_preassemble_scripts())
