"""Binder and nbgitpuller links for a course repository."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lrcourse.classroom_links import (
    binder_badge,
    binder_url,
    classroom_links,
    nbgitpuller_url,
    parse_repository,
)

REPO = "https://github.com/acme/lrcourse"


def test_github_binder_link_opens_the_notebook_in_lab() -> None:
    assert binder_url(REPO) == (
        "https://mybinder.org/v2/gh/acme/lrcourse/HEAD"
        "?urlpath=lab/tree/notebooks/01_start_here.ipynb"
    )
    assert binder_url(REPO + ".git/", ref="v1.0", notebook="notebooks/05_schedulers.ipynb") == (
        "https://mybinder.org/v2/gh/acme/lrcourse/v1.0"
        "?urlpath=lab/tree/notebooks/05_schedulers.ipynb"
    )


def test_gitlab_and_other_hosts_use_their_binder_providers() -> None:
    assert binder_url("https://gitlab.com/group/sub/lrcourse").startswith(
        "https://mybinder.org/v2/gl/group%2Fsub%2Flrcourse/HEAD?"
    )
    url = binder_url("https://git.example.edu/teach/lrcourse.git", binderhub="https://hub.edu/")
    assert url.startswith(
        "https://hub.edu/v2/git/https%3A%2F%2Fgit.example.edu%2Fteach%2Flrcourse/"
    )


def test_badge_is_markdown_image_link() -> None:
    badge = binder_badge(REPO, ref="main")
    assert badge == (
        "[![Binder](https://mybinder.org/badge_logo.svg)]"
        "(https://mybinder.org/v2/gh/acme/lrcourse/main"
        "?urlpath=lab/tree/notebooks/01_start_here.ipynb)"
    )


def test_nbgitpuller_link_clones_into_the_repo_folder_and_opens_lab() -> None:
    url = nbgitpuller_url("https://hub.example.org/", REPO, branch="main")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "hub.example.org",
        "/hub/user-redirect/git-pull",
    )
    assert parse_qs(parts.query) == {
        "repo": [REPO],
        "branch": ["main"],
        "urlpath": ["lab/tree/lrcourse/notebooks/01_start_here.ipynb"],
    }
    sub = nbgitpuller_url("https://uni.edu/jupyter", REPO + ".git", branch="spring")
    assert sub.startswith("https://uni.edu/jupyter/hub/user-redirect/git-pull?")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_repository("git@github.com:acme/lrcourse.git"), "https://"),
        (lambda: parse_repository("https://github.com/acme"), "OWNER/NAME"),
        (lambda: parse_repository("https://github.com/acme/x?tab=1"), "no query"),
        (lambda: binder_url(REPO, notebook="../etc/passwd"), "inside the repository"),
        (lambda: nbgitpuller_url("hub.example.org", REPO), "base URL"),
        (lambda: nbgitpuller_url("https://hub.example.org", REPO, branch="HEAD"), "branch name"),
    ],
)
def test_bad_input_is_a_clear_error(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_classroom_links_together_and_as_text() -> None:
    links = classroom_links(REPO, branch="main", hub_url="https://hub.example.org")
    assert links.repository == REPO
    assert links.binder == binder_url(REPO, ref="main")
    assert links.badge == binder_badge(REPO, ref="main")
    assert links.nbgitpuller == nbgitpuller_url("https://hub.example.org", REPO, branch="main")
    text = links.to_text()
    assert links.binder in text and links.badge in text and links.nbgitpuller in text
    no_hub = classroom_links(REPO)
    assert no_hub.nbgitpuller is None and "give your JupyterHub's URL" in no_hub.to_text()
