"""Benchmarks that print figures: CIFAR-10 training (notebook 07 with its default parameters) and the grader.

Usage: ``python -m course.bench [--runs N] [--skip-cifar] [--skip-grader] [-p NAME VALUE]``.
Nothing here asserts a target: it measures and prints, so the figures can be compared with the README.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cifar_run(params: dict, workdir: Path, index: int) -> dict:
    """Execute solutions/07_cifar10.ipynb with params and return the metrics it wrote."""
    from course.execute import execute

    metrics_path = workdir / f"metrics-{index}.json"
    start = time.perf_counter()
    run = execute(ROOT / "solutions" / "07_cifar10.ipynb", workdir / f"07_cifar10-{index}.ipynb",
                  {**params, "metrics_path": str(metrics_path)}, timeout=1800)
    problems = run.problems(student=False)
    if problems or not metrics_path.exists():
        raise RuntimeError("07_cifar10 failed:\n" + "\n".join(problems or ["no metrics written"]))
    metrics = json.loads(metrics_path.read_text())
    metrics["notebook_seconds"] = time.perf_counter() - start
    return metrics


def bench_cifar(runs: int, params: dict) -> list[str]:
    """Train with the notebook's defaults runs times; report accuracy, time, throughput, reproducibility."""
    lines = [f"CIFAR-10 (notebook 07, default parameters{', ' + str(params) if params else ''}):"]
    with tempfile.TemporaryDirectory() as tmp:
        results = [cifar_run(params, Path(tmp), i) for i in range(runs)]
    for i, m in enumerate(results, 1):
        lines.append(f"  run {i}: test accuracy {100 * m['test_accuracy']:.1f} % | training {m['train_seconds']:.1f} s for {m['num_epochs']} epochs on "
                     f"{m['train_images']} images | {m['images_per_second']:.0f} images/s | device {m['device']} "
                     f"| whole notebook {m['notebook_seconds']:.0f} s")
    if runs > 1:
        same = len({m["test_accuracy"] for m in results}) == 1
        lines.append(f"  same seed, same accuracy: {'yes' if same else 'NO'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="CIFAR-10 training runs (2 shows reproducibility)")
    parser.add_argument("--skip-cifar", action="store_true")
    parser.add_argument("--skip-grader", action="store_true")
    parser.add_argument("--submissions", type=int, default=20, help="submissions graded for the grader figure")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameter of notebook 07 (e.g. -p num_epochs 12)")
    args = parser.parse_args(argv)
    params = {}
    for key, raw in args.p:
        try:
            params[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            params[key] = raw
    lines = []
    if not args.skip_cifar:
        lines += bench_cifar(args.runs, params)
        print("\n".join(lines), flush=True)
    if not args.skip_grader:
        from course.grade import benchmark

        line = f"Grader (01_tensors submissions, -j 2): {benchmark(n=args.submissions, jobs=2)}"
        lines.append(line)
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
