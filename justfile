# Phase 25: an in-place op on a tensor that requires grad, and the autograd graph break.
# Arguments after a recipe name are Hydra overrides, passed through unchanged.

set positional-arguments

python := if path_exists(".venv/bin/python") == "true" { ".venv/bin/python" } else { "python" }

# list the recipes
default:
    just --list --unsorted

# train the mini-GPT: `just phase-25-train inplace=true detect_anomaly=true`
phase-25-train *ARGS:
    {{python}} -m minigpt.cli.train "$@"

# fast tests (under 2 minutes on 2 cores)
test *ARGS:
    {{python}} -m pytest "$@"

# every test, the slow end-to-end ones too
test-all *ARGS:
    {{python}} -m pytest -m "" "$@"

# speed figures next to their targets
bench *ARGS:
    {{python}} benchmarks/bench.py "$@"

# regenerate every generated block in theory/*.md and the READMEs (outputs, errors, tables)
docs *ARGS:
    {{python}} -m minigpt.cli.docs "$@"

# re-measure the slow or noisy figures the notes quote (timings), into theory/data/*.json
docs-measure *ARGS:
    {{python}} -m minigpt.cli.docs --measure "$@"

# the break matrix: each in-place variant in the mini-GPT, classified safe / loud / silent
phase-25-matrix *ARGS:
    {{python}} -m minigpt.cli.matrix "$@"

# one level of the hint cascade: `just phase-25-hint 1` (then 2, 3); `lang=es` for Spanish
phase-25-hint *ARGS:
    {{python}} -m minigpt.cli.hint "$@"

# one forward under the graph doctor, the tape of a block, graph files: `just phase-25-graph inplace=true`
phase-25-graph *ARGS:
    {{python}} -m minigpt.cli.graph "$@"

# find in-place tensor ops in Python source (default src/): `just phase-25-lint src/ tests/`
phase-25-lint *ARGS:
    {{python}} -m minigpt.cli.lint "$@"

# compare the saved gradients of two runs: `just phase-25-grad-compare 25-A 25-B` (exit 0 agree, 1 differ, 2 cannot)
phase-25-grad-compare *ARGS:
    {{python}} -m minigpt.cli.grad_compare "$@"

# several seeds of the control and each silent variant: `just phase-25-sweep seed=0,1,2`
phase-25-sweep *ARGS:
    {{python}} -m minigpt.cli.sweep "$@"
