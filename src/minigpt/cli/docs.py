"""`just docs`: rewrite every generated block; `just docs-measure`: re-measure the data they quote first."""

import json
import sys

from minigpt.cli.common import fail
from minigpt.lab.docs import (DATA, MEASURED_SNIPPETS, ROOT, SWEEP_SUMMARY, base_name, stale_blocks, sweep_data,
                              sweep_shrinks, write_all)
from minigpt.lab.measure import measure_snippet, measure_timings

PROGRAM = "docs"
HELP = """usage: docs [--measure [--allow-smaller-sweep]] [--check]

  (no flag)   rewrite every <!-- generated:NAME --> block in theory/*.md and the READMEs
  --measure   first re-measure the timings the notes quote (theory/data/timings.json, about two minutes),
              run the slow snippets (theory/snippets/measured/NAME.py -> theory/data/NAME.json, about a minute)
              and copy the seed sweep's figures (experiments/25-sweep/summary.json -> theory/data/sweep.json)
              a sweep with fewer variants or runs than the published table is refused (the difference is
              printed) unless --allow-smaller-sweep is given
  --check     change nothing; list the stale blocks and exit 1 if there are any"""
FLAGS = {"--measure", "--check", "--allow-smaller-sweep"}


def main(argv: list[str] | None = None) -> None:
    """Regenerate (or check) the generated blocks of every note."""
    args = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(args):
        print(HELP)
        return
    unknown = sorted(set(args) - FLAGS)
    if unknown:
        fail(f"unknown argument '{unknown[0]}'; allowed: {', '.join(sorted(FLAGS))}", PROGRAM)
    if "--allow-smaller-sweep" in args and "--measure" not in args:
        fail("--allow-smaller-sweep goes with --measure; allowed: --measure --allow-smaller-sweep", PROGRAM)
    if "--check" in args:
        stale = stale_blocks()
        for block in stale:
            print(block)
        raise SystemExit(1 if stale else 0)
    if "--measure" in args:
        DATA.mkdir(parents=True, exist_ok=True)
        (DATA / "timings.json").write_text(json.dumps(measure_timings(), indent=2) + "\n")
        print(f"wrote {(DATA / 'timings.json').relative_to(ROOT)}")
        for snippet in sorted(MEASURED_SNIPPETS.glob("*.py")):
            if snippet.stem == base_name(snippet.stem):  # a Spanish twin prints the same
                (DATA / f"{snippet.stem}.json").write_text(json.dumps(measure_snippet(snippet), indent=2) + "\n")
                print(f"wrote {(DATA / f'{snippet.stem}.json').relative_to(ROOT)}")
        copy_sweep("--allow-smaller-sweep" in args)
    for path in write_all():
        print(f"rewrote {path.relative_to(ROOT)}")


def copy_sweep(allow_smaller: bool) -> None:
    """Copy the figures of a finished seed sweep into theory/data/sweep.json; keep the old copy when the sweep is
    unfinished, or smaller than the published one and allow_smaller is False."""
    sweep = SWEEP_SUMMARY.relative_to(ROOT)
    if not SWEEP_SUMMARY.exists():
        print(f"no {sweep}: run `just phase-25-sweep` to quote a sweep; theory/data/sweep.json kept as it was")
        return
    try:
        data = sweep_data(json.loads(SWEEP_SUMMARY.read_text()))
    except ValueError as e:
        print(f"{sweep}: {e}; theory/data/sweep.json kept as it was")
        return
    published = DATA / "sweep.json"
    shrinks = sweep_shrinks(json.loads(published.read_text()), data) if published.exists() else []
    if shrinks and not allow_smaller:
        print(f"{sweep} is smaller than the published sweep, so theory/data/sweep.json is kept as it was "
              f"(--allow-smaller-sweep publishes it): " + "; ".join(shrinks))
        return
    published.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote theory/data/sweep.json from {sweep}")


if __name__ == "__main__":
    main()
