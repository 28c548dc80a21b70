"""Exercise 2, predict before you run: loud, safe or silent for six variants, scored against the measured matrix.

The learner writes the predictions in exercises/predictions.yaml (made with blanks on the first check); the
check measures the six variants with the break matrix on the tiny model and explains every miss.
"""

from pathlib import Path

import yaml

from minigpt.exercises.exercise_kit import TINY, ExerciseInputError, Verdict
from minigpt.lab.matrix import VARIANTS, break_matrix
from minigpt.language import in_language, say

FILE_NAME = "predictions.yaml"
OUTCOMES = ("loud", "safe", "silent")

# Why each variant measures as it does, in both languages; tests/test_exercises.py pins the outcomes.
WHY = {  # variant -> (its outcome, why it measures so, in each language)
    "mul_ on a LayerNorm output": ("safe", {
        "en": "F.layer_norm saves its input (with mean and rstd), not its output, and mul_ keeps a copy of the value "
              "it overwrites for its own backward; the next Linear saves the tensor after the change",
        "es": "F.layer_norm guarda su entrada (con mean y rstd), no su salida, y mul_ se queda una copia del valor "
              "que sobrescribe para su propio backward; la Linear siguiente guarda el tensor ya modificado"}),
    "relu_ in the feed-forward": ("safe", {
        "en": "the Linear before it saved its input, not its output; relu_ needs only its own result, which nothing "
              "changes afterwards",
        "es": "la Linear anterior guardó su entrada, no su salida; relu_ solo necesita su propio resultado, que nada "
              "modifica después"}),
    "exp_ then /= in a hand-written softmax": ("loud", {
        "en": "exp_ saves its result for backward (the derivative of exp is exp), and /= then overwrites that very "
              "tensor, bumping its version counter",
        "es": "exp_ guarda su resultado para el backward (la derivada de exp es exp), y /= sobrescribe justo ese "
              "tensor e incrementa su contador de versiones"}),
    "optimizer step before backward": ("loud", {
        "en": "the Linear layers saved their weights for backward, and optimizer.step() updates the weights in place;"
              " no_grad around the step does not switch the version check off",
        "es": "las Linear guardaron sus pesos para el backward, y optimizer.step() actualiza los pesos in situ; el "
              "no_grad que rodea el paso no desactiva la comprobación de versiones"}),
    "residual through .data": ("silent", {
        "en": "h.data has its own version counter and no graph edge: autograd never sees the add, so nothing raises "
              "and the attention and feed-forward branches drop out of the graph",
        "es": "h.data tiene su propio contador de versiones y ninguna arista en el grafo: autograd nunca ve la suma, "
              "así que no salta ningún error y las ramas de atención y feed-forward se caen del grafo"}),
    "residual add_ under save_on_cpu": ("silent", {
        "en": "while saved-tensor hooks are active the version check is skipped, and on the CPU save_on_cpu keeps the"
              " same storage, so the in-place add reaches the saved value (on CUDA it copies, and the gradients are "
              "right)",
        "es": "mientras hay hooks de tensores guardados activos no se comprueban las versiones, y en la CPU "
              "save_on_cpu conserva el mismo almacenamiento, así que la suma in situ llega al valor guardado (en CUDA"
              " copia, y los gradientes salen bien)"}),
}

HEADER = {
    "en": """# Exercise 2: predict before you run. For each in-place variant below write loud, safe or silent:
#   loud    PyTorch raises its version-check error at backward
#   safe    the gradients equal those of the same model written out of place
#   silent  it runs, and the gradients are wrong
# Each variant is one forward and backward of the tiny mini-GPT on the CPU. Then: just phase-25-check 2
""",
    "es": """# Ejercicio 2: predice antes de ejecutar. Escribe loud, safe o silent en cada variante in situ:
#   loud    PyTorch lanza su error de la comprobación de versiones en el backward (con error explícito)
#   safe    los gradientes son los del mismo modelo escrito no in situ (segura)
#   silent  se ejecuta, y los gradientes están mal (silenciosa)
# Cada variante es un forward y un backward del mini-GPT diminuto en la CPU. Después: just phase-25-check 2 lang=es
""",
}


def template(language: str) -> str:
    """The predictions file with every answer blank, each variant under a comment showing its line."""
    where = {v.name: v.where for v in VARIANTS}
    return in_language(HEADER, language) + "".join(f"\n# {where[name]}\n{name}:\n" for name in WHY)


def read_predictions(path: Path) -> dict[str, str | None]:
    """Each variant's prediction (None while blank); ExerciseInputError on a file the check cannot score."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ExerciseInputError(f"{path} is not valid YAML{where}; delete it to get a fresh one") from None
    if not isinstance(content, dict):
        raise ExerciseInputError(f"{path} should map each variant to loud, safe or silent; "
                                 "delete it to get a fresh one")
    missing = [name for name in WHY if name not in content]
    unknown = [str(name) for name in content if name not in WHY]
    if missing or unknown:
        problem = f"no line for '{missing[0]}'" if missing else f"unknown variant '{unknown[0]}'"
        raise ExerciseInputError(f"{path}: {problem}; delete the file to get a fresh one")
    for name, value in content.items():
        if value is not None and str(value).strip().lower() not in OUTCOMES:
            raise ExerciseInputError(f"{path}: '{value}' for '{name}'; allowed: {', '.join(OUTCOMES)}")
    return {name: None if value is None else str(value).strip().lower() for name, value in content.items()}


def check_predictions(workspace: Path, language: str, options: dict[str, str]) -> Verdict:
    """Exercise 2: every prediction in the workspace's predictions.yaml matches the measured outcome."""
    path = workspace / FILE_NAME
    if not path.exists():
        workspace.mkdir(parents=True, exist_ok=True)
        path.write_text(template(language), encoding="utf-8")
        return Verdict(False, say(language, f"wrote {path} with blank predictions; fill them in, then run this again",
                                  f"he creado {path} con las predicciones en blanco; rellénalas y vuelve a "
                                  f"ejecutar esta comprobación"))
    predicted = read_predictions(path)
    blank = [name for name, value in predicted.items() if value is None]
    if blank:
        return Verdict(False, say(language, f"{len(blank)} of {len(WHY)} predictions in {path} are still blank",
                                  f"{len(blank)} de {len(WHY)} predicciones de {path} siguen en blanco"))
    rows = break_matrix(TINY, [v for v in VARIANTS if v.name in WHY])
    misses = [row for row in rows if row.outcome != predicted[row.variant]]
    details = [say(language, f"{row.variant}: you said {predicted[row.variant]}, measured {row.outcome}. ",
                   f"{row.variant}: dijiste {predicted[row.variant]}, medido {row.outcome}. ")
               + in_language(WHY[row.variant][1], language) for row in misses]
    hits = len(rows) - len(misses)
    return Verdict(not misses, say(language, f"{hits} of {len(rows)} predictions match the measured matrix",
                                   f"{hits} de {len(rows)} predicciones coinciden con la matriz medida"), details)
