"""Build the class hand-out: student notebooks, the runtime and stored expected outputs, without any answer.

Usage: ``python -m course release [--out build/release]`` writes ``OUT/pytorch-basics-course/`` and
``OUT/pytorch-basics-course.zip``. It refuses to write a hand-out in which a solution body appears.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from course.generate import expected_student_files
from course.leaks import find_leaks
from helpers.image_folder import archive_path as image_archive

ROOT = Path(__file__).resolve().parent.parent
HANDOUT = Path(__file__).resolve().parent / "handout"  # what only the hand-out carries
NAME = "pytorch-basics-course"
RUNTIME_REQUIREMENTS = ("torch", "torchvision", "numpy", "matplotlib", "tqdm", "ipywidgets", "torchmetrics",
                        "torchinfo", "jupyterlab", "ipykernel")
PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "pytorch-basics-course-handout"
version = "{version}"
description = "PyTorch Basics: the student notebooks and the small runtime they import."
requires-python = ">=3.10"
dependencies = ["torch>=2.11", "torchvision>=0.26", "numpy", "matplotlib", "tqdm", "torchmetrics", "torchinfo"]

[tool.setuptools]
packages = ["helpers"]

[tool.setuptools.package-data]
helpers = ["expected/*.pt"]
"""


def store_expected(helpers_dir: Path) -> int:
    """Write helpers/expected/<lesson>.pt: every exercise's expected output on its public inputs."""
    import torch

    from helpers import exercises, quiz
    from course.plain import pack
    from helpers.references import reference

    lessons: dict[str, dict] = {}
    for name, ex in sorted(exercises.load_all().items()):
        ref = reference(ex.lesson, name)
        if ref is None:
            raise RuntimeError(f"no solution for {name} in solutions/{ex.lesson}.ipynb")
        if ex.is_quiz:  # a fingerprint of the answer and the sealed explanation, never the answer
            lessons.setdefault(ex.lesson, {})[name] = {0: quiz.fingerprint(name, ref),
                                                       "why": quiz.seal(quiz.explanation(ex.lesson, name), name, ref)}
            continue
        lessons.setdefault(ex.lesson, {})[name] = {seed: pack(ex.run(ref, seed)) for seed in ex.seeds}
    (helpers_dir / "expected").mkdir()
    for lesson, values in lessons.items():
        torch.save(values, helpers_dir / "expected" / f"{lesson}.pt")
    return sum(1 if "why" in seeds else len(seeds) for values in lessons.values() for seeds in values.values())


def requirements() -> str:
    """The runtime's pins, taken from the course's requirements.txt, plus the hand-out itself."""
    keep = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.split("==")[0].strip() in RUNTIME_REQUIREMENTS]
    return "# What the notebooks need, pinned like the course; the last line installs `helpers`.\n" \
        + "\n".join(keep) + "\n-e .\n"


def _version() -> str:
    """The course's version from pyproject.toml."""
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def build(folder: Path) -> int:
    """Write the hand-out into folder (which must not exist); return the number of stored expected outputs."""
    folder.mkdir(parents=True)
    for path, text in expected_student_files(ROOT).items():
        (folder / "notebooks").mkdir(exist_ok=True)
        (folder / "notebooks" / path.name).write_text(text)
    shutil.copytree(ROOT / "helpers", folder / "helpers", ignore=shutil.ignore_patterns("__pycache__", "expected"))
    count = store_expected(folder / "helpers")
    (folder / "data").mkdir()
    shutil.copyfile(ROOT / "data" / "README.md", folder / "data" / "README.md")
    shutil.copyfile(image_archive(), folder / "data" / image_archive().name)  # notebook 08's images
    shutil.copyfile(HANDOUT / "README.md", folder / "README.md")
    shutil.copyfile(HANDOUT / "fallbacks.py", folder / "helpers" / "fallbacks.py")
    (folder / "requirements.txt").write_text(requirements())
    (folder / "pyproject.toml").write_text(PYPROJECT.format(version=_version()))
    return count


def release(out: Path) -> tuple[Path, Path, int]:
    """Build the hand-out in a temporary folder, check it carries no answer, then move it and its zip to out."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        staged = Path(tmp) / NAME
        count = build(staged)
        leaks = find_leaks([staged])
        if leaks:
            raise RuntimeError("the hand-out would carry answers:\n" + "\n".join(leaks))
        archive = shutil.make_archive(str(Path(tmp) / NAME), "zip", root_dir=tmp, base_dir=NAME)
        target, zip_path = out / NAME, out / f"{NAME}.zip"
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)
        Path(archive).replace(zip_path)
    return target, zip_path, count


def main(argv: list[str] | None = None) -> int:
    """Command line: build the hand-out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "release"), help="output folder")
    args = parser.parse_args(argv)
    try:
        folder, archive, count = release(Path(args.out))
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    print(f"hand-out: {folder} ({files} files, {count} stored expected outputs, no answers)\nzip: {archive} "
          f"({archive.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
