# Phase 25: an in-place op on a tensor that requires grad, and the autograd graph break.
# Arguments after a recipe name are Hydra overrides, passed through unchanged. Each recipe `exec`s Python,
# so a signal sent to `just` (an IDE's stop button, a CI timeout) reaches the run and it records itself.

set positional-arguments

python := if path_exists(".venv/bin/python") == "true" { ".venv/bin/python" } else { "python" }

# list the recipes
default:
    just --list --unsorted

# train the mini-GPT: `just phase-25-train inplace=true detect_anomaly=true`; Hydra flags work (--help, --cfg job, -m)
phase-25-train *ARGS:
    exec {{python}} -m minigpt.cli train "$@"

# fast tests (under 2 minutes on 2 cores)
test *ARGS:
    {{python}} -m pytest "$@"

# every test, the slow end-to-end ones too
test-all *ARGS:
    {{python}} -m pytest -m "" "$@"

# the doctor's package on its own: a fresh venv with torch alone, its tests with the course not installed
doctor-alone:
    {{python}} -m pytest -m slow -p no:cacheprovider packages/autograd-doctor/tests/test_cli.py -k distribution

# the doctor's command: `just autograd-doctor lint src/`, `just autograd-doctor run train.py`
autograd-doctor *ARGS:
    exec {{python}} -m autograd_doctor "$@"

# speed figures next to their targets
bench *ARGS:
    {{python}} benchmarks/bench.py "$@"

# on a machine with a GPU: device=auto against device=cpu, and where a default run's time goes
bench-cuda *ARGS:
    {{python}} benchmarks/bench_cuda.py "$@"

# regenerate every generated block in theory/*.md and the READMEs (outputs, errors, tables)
docs *ARGS:
    exec {{python}} -m tools.docs --repo . "$@"

# re-measure the slow or noisy figures the notes quote (timings), into theory/data/*.json
docs-measure *ARGS:
    exec {{python}} -m tools.docs --repo . --measure "$@"

# the break matrix: each in-place variant in the mini-GPT, classified safe / loud / silent
phase-25-matrix *ARGS:
    exec {{python}} -m minigpt.cli matrix "$@"

# one level of a hint cascade, only the hint shown: `just phase-25-hint 1` (then 2, 3); `cascade=silent`, `lang=es`
[no-exit-message]
phase-25-hint *ARGS:
    @exec {{python}} -m minigpt.cli hint "$@"

# check exercise N (theory/exercises.md), only the verdict shown: `just phase-25-check 1` (exit 0 passed, 1 not yet)
[no-exit-message]
phase-25-check *ARGS:
    @exec {{python}} -m minigpt.cli check "$@"

# one forward under the graph doctor, the tape of a block, graph files: `just phase-25-graph inplace=true block=1`
phase-25-graph *ARGS:
    exec {{python}} -m minigpt.cli graph "$@"

# the course's name for `autograd-doctor lint` (default src/): `just phase-25-lint src/ tests/`
phase-25-lint *ARGS:
    exec {{python}} -m minigpt.cli lint "$@"

# compare the saved gradients of two runs: `just phase-25-grad-compare 25-A 25-B out_dir=experiments` (exit 0 agree, 1 differ, 2 cannot)
phase-25-grad-compare *ARGS:
    exec {{python}} -m minigpt.cli grad-compare "$@"

# several seeds of the control and each silent variant (a Hydra multirun): `just phase-25-sweep seed=0,1,2`
phase-25-sweep *ARGS:
    exec {{python}} -m minigpt.cli sweep "$@"
