"""Course tooling for authors, instructors and CI: generate, run, release, bench and grade.

Not part of what students install: notebooks import only ``helpers``. Run ``python -m course --help``.
"""
