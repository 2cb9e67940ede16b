"""``python -m course.site build [--out build/site] [--repo-url URL] [--handout ZIP|--no-handout]``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course.site.config import HANDOUT_ZIP, OUT, Launch, repository_url


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m course.site", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the static site (offline)")
    b.add_argument("--out", type=Path, default=OUT, help="output folder (default build/site)")
    b.add_argument("--repo-url", default=None,
                   help="repository URL for the Colab/Binder links (default: $COURSE_SITE_REPO_URL, else "
                        "pyproject.toml [project.urls] Repository); '' leaves the links out")
    b.add_argument("--branch", default="main", help="branch the launch links open (default main)")
    b.add_argument("--handout", type=Path, default=HANDOUT_ZIP,
                   help="class hand-out zip to offer for download when it exists (default: make release's)")
    b.add_argument("--no-handout", action="store_true", help="offer no hand-out zip")
    b.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build the site and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    from course.site.build import build
    launch = Launch(repository_url(override=args.repo_url), args.branch)
    handout = None if args.no_handout or not args.handout.is_file() else args.handout
    try:
        stats = build(args.out.resolve(), launch, handout, quiet=not args.verbose)
    except (RuntimeError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"site: {args.out}/index.html  ({stats['pages']} pages, {stats['lessons']} lessons, "
          f"{stats['bytes'] / 2**20:.1f} MiB in {stats['files']} files, {stats['seconds']} s; "
          f"launch links: {launch.url or 'none (no repository URL configured)'}; "
          f"hand-out zip: {'yes' if handout else 'no'})")
    (args.out / "site-stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
