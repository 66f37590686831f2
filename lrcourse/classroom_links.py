"""Links a teacher hands out: a Binder launch link and badge, and an nbgitpuller link.

* **Binder** (mybinder.org or your own BinderHub) builds the image from ``binder/`` and opens
  a notebook: ``{binderhub}/v2/{provider}/{spec}/{ref}?urlpath=lab/tree/{notebook}``. GitHub
  repositories use the ``gh`` provider (``owner/repo``), GitLab ``gl`` (the path, URL-encoded),
  any other git URL ``git`` (the whole URL, encoded).
* **nbgitpuller** serves a class from an existing JupyterHub (for example Zero to JupyterHub on
  Kubernetes) whose user image is the one ``binder/`` builds: the link clones the course into
  each learner's home, or merges new commits without overwriting their edits, then opens the
  notebook: ``{hub}/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=lab/tree/{dir}/...``
  where ``{dir}`` is the folder nbgitpuller clones into (the repository's name).

``classroom_links(repo_url, ...)`` returns all of them; ``ClassroomLinks.to_text()`` is what
``lrcourse links`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
DEFAULT_NOTEBOOK = "notebooks/01_start_here.ipynb"
DEFAULT_BINDERHUB = "https://mybinder.org"


@dataclass(frozen=True)
class Repository:
    """A git repository as Binder and nbgitpuller need it."""

    url: str  # the clone URL, without a trailing ".git" or "/"
    host: str
    path: str  # "owner/name" (or a deeper GitLab group path)

    @property
    def name(self) -> str:
        """The folder a clone gets: the last part of the path."""
        return self.path.rsplit("/", 1)[-1]


def parse_repository(repo_url: str) -> Repository:
    """Check and normalise a repository URL (https only; ``.git`` and ``/`` trimmed).

    Raises ValueError naming what is wrong: not https, no host, or no ``owner/name`` path.
    """
    text = repo_url.strip()
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"expected an https:// repository URL, got {repo_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"a repository URL has no query or fragment: {repo_url!r}")
    path = parts.path.strip("/")
    path = path.removesuffix(".git")
    if path.count("/") < 1 or any(not p for p in path.split("/")):
        raise ValueError(f"expected https://HOST/OWNER/NAME, got {repo_url!r}")
    host = parts.netloc.lower()
    return Repository(url=f"https://{host}/{path}", host=host, path=path)


def _check_notebook(notebook: str) -> str:
    path = notebook.strip().strip("/")
    if not path or ".." in path.split("/"):
        raise ValueError(f"expected a notebook path inside the repository, got {notebook!r}")
    return path


def binder_url(
    repo_url: str,
    *,
    ref: str = "HEAD",
    notebook: str = DEFAULT_NOTEBOOK,
    binderhub: str = DEFAULT_BINDERHUB,
) -> str:
    """The Binder launch URL that opens ``notebook`` in JupyterLab.

    ``ref`` is a branch, tag or commit (``HEAD``: the default branch).
    """
    repo = parse_repository(repo_url)
    if repo.host == "github.com":
        provider, spec = "gh", repo.path
    elif repo.host == "gitlab.com":
        provider, spec = "gl", quote(repo.path, safe="")
    else:
        provider, spec = "git", quote(repo.url, safe="")
    ref_part = quote(ref.strip() or "HEAD", safe="")
    target = quote(f"lab/tree/{_check_notebook(notebook)}", safe="/")
    return f"{binderhub.rstrip('/')}/v2/{provider}/{spec}/{ref_part}?urlpath={target}"


def binder_badge(
    repo_url: str,
    *,
    ref: str = "HEAD",
    notebook: str = DEFAULT_NOTEBOOK,
    binderhub: str = DEFAULT_BINDERHUB,
) -> str:
    """The Markdown Binder badge (an image link) for a README or a course page."""
    url = binder_url(repo_url, ref=ref, notebook=notebook, binderhub=binderhub)
    return f"[![Binder]({BINDER_BADGE})]({url})"


def nbgitpuller_url(
    hub_url: str,
    repo_url: str,
    *,
    branch: str = "main",
    notebook: str = DEFAULT_NOTEBOOK,
) -> str:
    """The nbgitpuller link for a JupyterHub at ``hub_url`` (its base URL, e.g. https://hub.example.org/).

    ``branch`` must be a branch name (nbgitpuller pulls a branch, not ``HEAD``).
    """
    hub = urlsplit(hub_url.strip())
    if hub.scheme not in ("https", "http") or not hub.netloc:
        raise ValueError(
            f"expected the hub's base URL, e.g. https://hub.example.org, got {hub_url!r}"
        )
    if not branch.strip() or branch.strip() == "HEAD":
        raise ValueError("nbgitpuller needs a branch name such as 'main', not HEAD")
    repo = parse_repository(repo_url)
    query = urlencode(
        {
            "repo": repo.url,
            "branch": branch.strip(),
            "urlpath": f"lab/tree/{repo.name}/{_check_notebook(notebook)}",
        }
    )
    base = f"{hub.scheme}://{hub.netloc}{hub.path.rstrip('/')}"
    return f"{base}/hub/user-redirect/git-pull?{query}"


@dataclass(frozen=True)
class ClassroomLinks:
    """Every link for one repository (``nbgitpuller`` is None without a hub URL)."""

    repository: str
    binder: str
    badge: str
    nbgitpuller: str | None

    def to_text(self) -> str:
        lines = [
            f"Repository: {self.repository}",
            "",
            "Binder link (opens the course in JupyterLab on mybinder.org):",
            f"  {self.binder}",
            "",
            "Binder badge (Markdown, for a README or a course page):",
            f"  {self.badge}",
            "",
        ]
        if self.nbgitpuller is None:
            lines.append("nbgitpuller link: give your JupyterHub's URL to get one.")
        else:
            lines += [
                "nbgitpuller link (your JupyterHub clones or updates the course, then opens it):",
                f"  {self.nbgitpuller}",
            ]
        return "\n".join(lines)


def classroom_links(
    repo_url: str,
    *,
    branch: str = "main",
    notebook: str = DEFAULT_NOTEBOOK,
    hub_url: str | None = None,
    binderhub: str = DEFAULT_BINDERHUB,
) -> ClassroomLinks:
    """Binder link and badge for ``repo_url`` at ``branch``, and the nbgitpuller link for
    ``hub_url`` when given. Raises ValueError for a URL or path that cannot work."""
    repo = parse_repository(repo_url)
    binder = binder_url(repo.url, ref=branch, notebook=notebook, binderhub=binderhub)
    badge = binder_badge(repo.url, ref=branch, notebook=notebook, binderhub=binderhub)
    puller = (
        nbgitpuller_url(hub_url, repo.url, branch=branch, notebook=notebook) if hub_url else None
    )
    return ClassroomLinks(repository=repo.url, binder=binder, badge=badge, nbgitpuller=puller)
