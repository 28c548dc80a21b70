"""`just docs`: rewrite every generated block; `just docs-measure`: re-measure the data they quote first."""

import json
import sys

from minigpt.cli.common import fail
from minigpt.lab.docs import DATA, MEASURED_SNIPPETS, ROOT, SWEEP_SUMMARY, base_name, stale_blocks, sweep_data, write_all
from minigpt.lab.measure import measure_snippet, measure_timings

PROGRAM = "docs"
HELP = """usage: docs [--measure] [--check]

  (no flag)   rewrite every <!-- generated:NAME --> block in theory/*.md and the READMEs
  --measure   first re-measure the timings the notes quote (theory/data/timings.json, about two minutes),
              run the slow snippets (theory/snippets/measured/NAME.py -> theory/data/NAME.json, about a minute)
              and copy the seed sweep's figures (experiments/25-sweep/summary.json -> theory/data/sweep.json)
  --check     change nothing; list the stale blocks and exit 1 if there are any"""


def main(argv: list[str] | None = None) -> None:
    """Regenerate (or check) the generated blocks of every note."""
    args = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(args):
        print(HELP)
        return
    unknown = sorted(set(args) - {"--measure", "--check"})
    if unknown:
        fail(f"unknown argument '{unknown[0]}'; allowed: --measure, --check", PROGRAM)
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
        copy_sweep()
    for path in write_all():
        print(f"rewrote {path.relative_to(ROOT)}")


def copy_sweep() -> None:
    """Copy the figures of a finished seed sweep into theory/data/sweep.json; keep the old copy otherwise."""
    sweep = SWEEP_SUMMARY.relative_to(ROOT)
    if not SWEEP_SUMMARY.exists():
        print(f"no {sweep}: run `just phase-25-sweep` to quote a sweep; theory/data/sweep.json kept as it was")
        return
    try:
        data = sweep_data(json.loads(SWEEP_SUMMARY.read_text()))
    except ValueError as e:
        print(f"{sweep}: {e}; theory/data/sweep.json kept as it was")
        return
    (DATA / "sweep.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote theory/data/sweep.json from {sweep}")


if __name__ == "__main__":
    main()
