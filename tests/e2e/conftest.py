"""Real-browser fixtures: one throw-away JupyterLab server and one headless Chromium per session.

* The server listens on 127.0.0.1 (free port) with a random token. Its Jupyter/IPython config,
  data, runtime, settings and workspace dirs are temp dirs, the notebooks are *copies* in a temp
  root dir (autosave can never touch the repo), and the progress store is a temp SQLite file
  (``LRCOURSE_PROGRESS_DB``), so a run leaves nothing behind.
* The browser is the distro Chromium (``/usr/bin/chromium``, or ``$LRCOURSE_CHROMIUM``) driven by
  Playwright for Python; there is no ``playwright install`` download.
* Without Chromium or Playwright the e2e tests are skipped, unless ``LRCOURSE_REQUIRE_E2E=1``
  (CI), which turns the skip into a failure.
* Screenshots, the server log, timings and peak memory go to ``$LRCOURSE_ARTIFACTS/e2e/``
  (default ``artifacts/e2e/`` in the repo, which git ignores).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("LRCOURSE_ARTIFACTS") or REPO / "artifacts") / "e2e"
CHROMIUM = os.environ.get("LRCOURSE_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("LRCOURSE_REQUIRE_E2E", "") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a container's small /dev/shm crashes renderers
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# status bar text once the kernel really is up: "Python 3 (ipykernel) | Idle"
KERNEL_IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")
# JupyterLab user settings for the run: no news toast over the cells, every cell kept in the
# DOM (windowing would detach off-screen outputs), no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

TIMINGS: dict[str, float] = {}
MEMORY: dict[str, object] = {}


# ---- marking and skipping ---------------------------------------------------------------------
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"{reason} (LRCOURSE_REQUIRE_E2E=1 makes this a failure)", pytrace=False)
    pytest.skip(f"{reason}; set LRCOURSE_REQUIRE_E2E=1 to make this a failure")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(
            f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LRCOURSE_CHROMIUM)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def e2e_timings() -> dict[str, float]:
    """Named durations (seconds) a test wants in the summary and in metrics.json."""
    return TIMINGS


# ---- the JupyterLab server --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server: base URL, token, root dir and a tiny REST client."""

    def __init__(self, base: str, token: str, root: Path, home: Path, env: dict[str, str]):
        self.base, self.token, self.root, self.home, self.env = base, token, root, home, env

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        # ?reset drops any saved workspace, so only this notebook opens
        return f"{self.base}/lab/tree/{notebook}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        for sess in self.api("/api/sessions"):
            self.api(f"/api/sessions/{sess['id']}", "DELETE")


@pytest.fixture(scope="session")
def lab(chromium_path, tmp_path_factory, artifacts):
    root = tmp_path_factory.mktemp("labroot")
    home = tmp_path_factory.mktemp("labhome")
    shutil.copytree(REPO / "notebooks", root / "notebooks", dirs_exist_ok=True)
    settings = home / "user-settings"
    for rel, content in LAB_SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(content))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        LRCOURSE_PROGRESS_DB=str(home / "progress.sqlite3"),
        # the kernel imports the package under test from the working tree
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        OMP_NUM_THREADS="1",  # 2 shared cores: no torch thread oversubscription
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root; without this the server exits
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no PyPI queries
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for robust waits
    ]  # fmt: skip
    log_path = home / "server.log"
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        server = Lab(f"http://127.0.0.1:{port}", token, root, home, env)
        deadline = time.monotonic() + 120
        while True:
            try:
                server.api("/api/status")
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-5000:])
            time.sleep(0.2)
        TIMINGS["server_start_s"] = time.perf_counter() - t0
        try:
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            shutil.copy(log_path, artifacts / "jupyter-server.log")


# ---- the browser ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # kernel round trips on 2 busy cores can take seconds
    t0 = time.perf_counter()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        TIMINGS["browser_launch_s"] = time.perf_counter() - t0
        yield b
        b.close()


class LabPage:
    """One browser tab on the lab, with notebook helpers that go through the real UI."""

    def __init__(self, page, lab: Lab, artifacts: Path):
        self.page, self.lab, self.artifacts = page, lab, artifacts
        self.shots: list[Path] = []
        self.console: list[str] = []  # browser console errors and page errors
        page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def widget_errors(self, scope=None) -> list[str]:
        """Text of every widget that failed to render ("Click to show javascript error")."""
        errs = (scope or self.page).locator(".jupyter-widgets-error-widget")
        out = []
        for i in range(errs.count()):
            errs.nth(i).click()
            out.append(" ".join(errs.nth(i).inner_text().split())[:500])
        return out

    # -- navigation -----------------------------------------------------------------------
    def open(self, notebook: str, timeout_ms: int = 120_000) -> None:
        """Open a notebook and wait until its kernel has really started and is idle."""
        from playwright.sync_api import expect

        self.page.goto(self.lab.url(notebook))
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_ms)
        # the execution indicator says "idle" while there is still no kernel: use the status bar
        status = self.page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE)
        expect(status).to_be_visible(timeout=timeout_ms)
        self.page.evaluate(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                await panel.context.ready;
                await panel.sessionContext.ready;
                await panel.sessionContext.session.kernel.info;
            }"""
        )

    def command(self, name: str, args: dict | None = None) -> None:
        """Fire a JupyterLab command without awaiting it (a dialog would hang the await)."""
        self.page.evaluate(
            "([name, args]) => { window.jupyterapp.commands.execute(name, args || {}); }",
            [name, args],
        )

    def run_all_from_menu(self) -> None:
        """What a learner does: Run ▸ Run All Cells."""
        self.page.locator("li.lm-MenuBar-item", has_text="Run").click()
        self.page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()

    def wait_all_executed(self, timeout_ms: int = 300_000) -> None:
        """Wait until every non-empty code cell has run and the kernel is idle again."""
        self.page.wait_for_function(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                const kernel = panel.sessionContext.session?.kernel;
                if (!kernel || kernel.status !== 'idle') return false;
                return panel.content.widgets.every(c => c.model.type !== 'code'
                    || c.model.sharedModel.getSource().trim() === ''
                    || (c.model.executionCount !== null
                        && !c.node.querySelector('.jp-InputPrompt')?.textContent.includes('*')));
            }""",
            timeout=timeout_ms,
            polling=250,
        )

    def error_outputs(self) -> list[str]:
        """'cell N: Ename: value' for every error output, except cells tagged raises-exception."""
        return self.page.evaluate(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                const found = [];
                panel.content.widgets.forEach((c, i) => {
                    if (c.model.type !== 'code') return;
                    const tags = c.model.getMetadata('tags') || [];
                    if (tags.includes('raises-exception')) return;
                    for (const o of c.model.outputs.toJSON()) {
                        if (o.output_type === 'error')
                            found.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
                    }
                });
                return found;
            }"""
        )

    def cell_index(self, tag: str) -> int:
        """Index of the first cell carrying a metadata tag (-1 when none)."""
        return self.page.evaluate(
            """(tag) => window.jupyterapp.shell.currentWidget.content.widgets
                .findIndex(c => (c.model.getMetadata('tags') || []).includes(tag))""",
            tag,
        )

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def type_into_cell(self, index: int, text: str) -> None:
        """Replace a cell's text through its editor: click, select all, type (no auto-indent)."""
        editor = self.cell(index).locator(".jp-InputArea-editor .cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)

    def run_cell(self, index: int) -> None:
        """Select a cell and press Shift+Enter (run it and move on)."""
        self.cell(index).locator(".jp-InputArea-editor .cm-content").click()
        self.page.keyboard.press("Shift+Enter")

    # -- evidence -------------------------------------------------------------------------
    def docs_shot(self, name: str, locator=None) -> Path | None:
        """With LRCOURSE_DOCS_SCREENSHOTS=1, also save the screenshot as docs/<name>.png (the
        README's pictures); otherwise do nothing, so a test run never changes the repo."""
        if os.environ.get("LRCOURSE_DOCS_SCREENSHOTS") != "1":
            return None
        path = REPO / "docs" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        target = locator if locator is not None else self.page
        target.screenshot(path=str(path))
        return path

    def shot(self, name: str, locator=None) -> Path:
        """Save a screenshot of the page (or of one element) under the artifacts dir."""
        path = self.artifacts / f"{name}.png"
        if locator is not None:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path))
        self.shots.append(path)
        return path


def _new_lab_page(browser, lab, artifacts):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return ctx, LabPage(page, lab, artifacts)


@pytest.fixture
def lab_page(request, browser, lab, artifacts):
    """A fresh tab per test; its kernels are shut down afterwards."""
    ctx, lp = _new_lab_page(browser, lab, artifacts)
    yield lp
    _on_teardown(request.node, lp)
    ctx.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="module")
def module_lab_page(request, browser, lab, artifacts):
    """One tab for a whole module (JupyterLab's frontend boot is the slow part)."""
    ctx, lp = _new_lab_page(browser, lab, artifacts)
    yield lp
    ctx.close()
    lab.shutdown_kernels()


def _on_teardown(node, lp: LabPage) -> None:
    if lp.console:
        with open(lp.artifacts / "browser-console.log", "a") as f:
            f.write(f"== {node.nodeid}\n" + "\n".join(lp.console) + "\n")
        lp.console.clear()
    rep = getattr(node, "rep_call", None)
    if rep is not None and rep.failed:
        with contextlib.suppress(Exception):  # the page may be gone
            lp.shot(f"FAILED-{node.name}")


@pytest.fixture(autouse=True)
def _shot_on_failure(request):
    """Screenshot the shared module page when a test that uses it fails."""
    yield
    if "module_lab_page" in request.fixturenames:
        _on_teardown(request.node, request.getfixturevalue("module_lab_page"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


# ---- timing and memory ------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _kind(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    if pid == os.getpid():
        return "pytest"
    for key, name in (("ipykernel", "kernel"), ("jupyterlab", "jupyter-server"),
                      ("chrom", "chromium"), ("node", "playwright-node")):  # fmt: skip
        if key in cmd:
            return name
    return "other"


@pytest.fixture(scope="session", autouse=True)
def _memory_sampler():
    """Peak PSS of pytest and all its descendants, sampled every second (from /proc)."""
    if not os.path.exists("/proc/self/smaps_rollup") or os.environ.get("LRCOURSE_E2E_MEM") == "0":
        yield
        return
    stop = threading.Event()
    peak: dict[str, object] = {"total": 0, "by": {}}

    def sample():
        while not stop.is_set():
            kids, todo, by = _children(), [os.getpid()], {}
            while todo:
                pid = todo.pop()
                todo.extend(kids.get(pid, []))
                kind = _kind(pid)
                by[kind] = by.get(kind, 0) + _pss_kib(pid)
            total = sum(by.values())
            if total > peak["total"]:
                peak["total"], peak["by"] = total, by
            stop.wait(1.0)

    t0 = time.perf_counter()
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    yield
    stop.set()
    th.join()
    TIMINGS["session_s"] = time.perf_counter() - t0
    if peak["total"]:
        MEMORY["peak_total_MiB"] = round(peak["total"] / 1024)
        MEMORY["at_peak_MiB"] = {k: round(v / 1024) for k, v in peak["by"].items()}


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS and not MEMORY:
        return
    timings = {k: round(v, 2) for k, v in TIMINGS.items()}
    terminalreporter.write_line("e2e timings (s): " + json.dumps(timings))
    if MEMORY:
        terminalreporter.write_line("e2e memory (PSS): " + json.dumps(MEMORY))
    if ARTIFACTS.is_dir():
        (ARTIFACTS / "metrics.json").write_text(
            json.dumps({"timings_s": timings, "memory": MEMORY}, indent=2)
        )
        terminalreporter.write_line(f"e2e artifacts: {ARTIFACTS}")
