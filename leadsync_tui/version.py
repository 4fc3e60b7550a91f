"""What `leadsync --version` says: the package version, and the commit when this code
runs from a git checkout (`leadsync 0.1.0 (git 1a2b3c4)`), so a bug report names the
exact code. An installed wheel has no checkout: just the version. Git missing, slow or
refusing the folder never makes `--version` fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from leadsync_tui import __version__

GIT_TIMEOUT = 2.0
"""Seconds `git rev-parse` may take before the commit is left out."""


def source_checkout(package: Path | None = None) -> Path | None:
    """The checkout this package runs from (its folder's parent, holding `.git` and this
    project's `pyproject.toml`); None for an installed copy. A venv inside a checkout
    is not one: its `site-packages` holds no `.git` beside it."""
    root = (package or Path(__file__).resolve().parent).parent
    if (root / ".git").exists() and (root / "pyproject.toml").is_file():
        return root
    return None


def git_commit(root: Path) -> str | None:
    """The short commit of `root`'s HEAD (with `-dirty` when files changed), or None."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not head:
        return None
    return f"{head}-dirty" if dirty else head


def version_text(package: Path | None = None) -> str:
    """`leadsync <version>`, plus ` (git <commit>)` from a checkout."""
    root = source_checkout(package)
    commit = git_commit(root) if root is not None else None
    return f"leadsync {__version__}" + (f" (git {commit})" if commit else "")
