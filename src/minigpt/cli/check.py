"""`just phase-25-check N [lang=es]`: check exercise N of the phase; exit 0 passed, 1 not yet, 2 bad input."""

import sys
from pathlib import Path

from minigpt.cli.common import fail
from minigpt.exercises.exercise_kit import ExerciseInputError
from minigpt.exercises.exercises import EXERCISES, verdict_line
from minigpt.language import LANGUAGES

PROGRAM = "phase-25-check"
WORKSPACE = Path("exercises")  # relative to the repository root, where just runs its recipes
USAGE = f"""usage: {PROGRAM} N [lang=en|es] [seed=N | answer=FILE:LINE | fused=true|false]

Check exercise N of phase 25 (theory/exercises.md); the last line is the verdict.
  1  fix run B: edit the in-place branch of exercises/block.py (copied on the first check)
  2  predict: loud, safe or silent for six variants in exercises/predictions.yaml (made on the first check)
  3  find the break: the first check (or seed=N) plants a bug in exercises/find-the-break/;
     then answer=FILE:LINE names the line
  4  make the silent variant loud: edit exercises/layer_norm.py (copied on the first check)
  5  the GAN loop: fix the optimizer steps in exercises/gan-loop/gan.py (written on the first check);
     checks Adam and Adam(fused=True), or only one with fused=true or fused=false
Exit status: 0 passed, 1 not yet, 2 bad input."""


def parse(args: list[str]) -> tuple[int, str, dict[str, str]]:
    """(exercise number, language, the exercise's own options), or exit 2 with one line naming the mistake."""
    numbers = [a for a in args if "=" not in a]
    options = dict(a.split("=", 1) for a in args if "=" in a)
    allowed_numbers = ", ".join(map(str, EXERCISES))
    if len(numbers) != 1:
        fail(f"give exactly one exercise number, got {len(numbers)}; allowed: {allowed_numbers}", PROGRAM)
    if not numbers[0].isdigit() or int(numbers[0]) not in EXERCISES:
        fail(f"'{numbers[0]}' is not an exercise; allowed: {allowed_numbers}", PROGRAM)
    exercise = EXERCISES[int(numbers[0])]
    language = options.pop("lang", "en")
    if language not in LANGUAGES:
        fail(f"unknown language '{language}' in 'lang={language}'; allowed: {', '.join(LANGUAGES)}", PROGRAM)
    unknown = sorted(set(options) - set(exercise.options))
    if unknown:
        takes = ", ".join(f"{o}=..." for o in ("lang", *exercise.options))
        fail(f"exercise {exercise.number} takes no option '{unknown[0]}'; allowed: {takes}", PROGRAM)
    return exercise.number, language, options


def main(args: list[str] | None = None, workspace: Path = WORKSPACE) -> None:
    """Run the check of the requested exercise on the learner's files under `workspace` and exit with its verdict."""
    args = sys.argv[1:] if args is None else args
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    number, language, options = parse(args)
    exercise = EXERCISES[number]
    try:
        verdict = exercise.check(workspace, language, options)
    except ExerciseInputError as e:
        fail(str(e), PROGRAM)
    for line in verdict.details:
        print(f"  {line}")
    print(verdict_line(exercise, verdict, language))
    raise SystemExit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
