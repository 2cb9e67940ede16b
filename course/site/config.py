"""Where the site comes from and goes, and the launch links built from the one configured repository URL."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from course.generate import course_source

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "site"
HANDOUT_ZIP = ROOT / "build" / "release" / "pytorch-basics-course.zip"
ENV_URL = "COURSE_SITE_REPO_URL"  # overrides pyproject.toml; empty means "no repository"
GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def repository_url(pyproject: Path = ROOT / "pyproject.toml", override: str | None = None) -> str:
    """The repository URL: override (e.g. --repo-url), else $COURSE_SITE_REPO_URL, else pyproject's project.urls."""
    if override is not None:
        return override.strip()
    if ENV_URL in os.environ:
        return os.environ[ENV_URL].strip()
    return course_source(pyproject)


@dataclass(frozen=True)
class Launch:
    """Launch links for a notebook in the repository (empty strings when they cannot be built)."""

    url: str = ""
    branch: str = "main"

    @property
    def github(self) -> tuple[str, str] | None:
        """(owner, repo) when the URL is a GitHub repository, else None."""
        m = GITHUB.match(self.url)
        return (m.group(1), m.group(2)) if m else None

    def colab(self, path: str) -> str:
        """Open in Colab: only GitHub repositories can be opened by URL."""
        if not self.github:
            return ""
        owner, repo = self.github
        return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{self.branch}/{path}"

    def binder(self, path: str) -> str:
        """Binder (mybinder.org), opening JupyterLab on the notebook."""
        if not self.github:
            return ""
        owner, repo = self.github
        return f"https://mybinder.org/v2/gh/{owner}/{repo}/{self.branch}?labpath={quote(path, safe='')}"

    def blob(self, path: str) -> str:
        """The file's page in the repository, or '' without a URL."""
        if not self.url:
            return ""
        base = self.url.rstrip("/").removesuffix(".git")
        return f"{base}/blob/{self.branch}/{path}" if self.github else ""
