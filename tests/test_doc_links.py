"""Every lesson links the official PyTorch documentation and ends with a Further reading section (issue 11)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
OFFICIAL = "https://docs.pytorch.org/"
# Other hosts that serve (copies of) the PyTorch or torchvision docs: links must use docs.pytorch.org.
OTHER_DOC_HOSTS = re.compile(r"^https?://(www\.)?pytorch\.org/(docs|vision|tutorials)(/|$)", re.IGNORECASE)


def _markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def _links(path: Path) -> list[str]:
    return [url for source in _markdown(path) for url in LINK.findall(source)]


def test_there_are_solution_notebooks():
    assert len(SOLUTIONS) >= 8


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_links_at_least_five_official_doc_pages(path):
    official = {url for url in _links(path) if url.startswith(OFFICIAL)}
    assert len(official) >= 5, f"{path.name}: only {len(official)} distinct links to {OFFICIAL}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_no_links_to_other_pytorch_doc_hosts(path):
    wrong = [url for url in _links(path) if OTHER_DOC_HOSTS.match(url)]
    assert not wrong, f"{path.name}: use {OFFICIAL} instead of {wrong}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_further_reading_comes_before_next(path):
    headings = [line.strip() for source in _markdown(path) for line in source.splitlines()
                if line.startswith("## ")]
    assert "## Further reading" in headings, f"{path.name}: no '## Further reading' section"
    nexts = [i for i, h in enumerate(headings) if h.startswith("## Next")]
    assert nexts, f"{path.name}: no '## Next' section"
    assert headings.index("## Further reading") < nexts[0], f"{path.name}: 'Further reading' must come before 'Next'"
    further = next(source for source in _markdown(path) if "## Further reading" in source)
    assert any(url.startswith(OFFICIAL) for url in LINK.findall(further)), "Further reading links nothing official"


def test_link_pattern_catches_mirrors():
    assert OTHER_DOC_HOSTS.match("https://pytorch.org/docs/stable/generated/torch.tensor.html")
    assert OTHER_DOC_HOSTS.match("http://www.pytorch.org/vision/stable/transforms.html")
    assert not OTHER_DOC_HOSTS.match("https://docs.pytorch.org/docs/stable/notes/cuda.html")
