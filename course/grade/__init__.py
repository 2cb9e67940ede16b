"""The autograder: grade a class's submissions in sandboxed kernels, judge exported answers outside them.

Modules, one responsibility each: options (limits, command line), discover (lessons and submissions), sandbox
(kernel launch, bwrap), cleanup (process teardown), exporter (the kernel side), runner (a worker's run of one
notebook), judge, report, run (orchestration) and cli. The notebook format is helpers.notebook_format.
"""
from course.grade.cli import main
from course.grade.run import SandboxUnavailable, benchmark, grade

__all__ = ["grade", "main", "benchmark", "SandboxUnavailable"]
