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
