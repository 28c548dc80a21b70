"""The layers, read from the source: the core of the course, the lab, the exercises and the CLI above it, the doctor
beside it.

Every module's imports are read with `ast` (nothing is imported), so a violation is found even in code
no test runs.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOCTOR_SRC = ROOT / "packages" / "autograd-doctor" / "src"
CORE = {"minigpt", "minigpt.config", "minigpt.data", "minigpt.attention", "minigpt.layer_norm",
        "minigpt.feed_forward", "minigpt.block", "minigpt.model", "minigpt.train", "minigpt.runs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(DOCTOR_SRC if path.is_relative_to(DOCTOR_SRC) else SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names (function-level imports too)."""
    names = set()
    package = module_name(path).rpartition(".")[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


MODULES = {module_name(p): imports_of(p) for p in sorted([*SRC.rglob("*.py"), *DOCTOR_SRC.rglob("*.py")])}
OURS = set(MODULES)
CORE |= {m for m in MODULES if m.startswith("minigpt.runs.")}  # the run records' package sits below the lab
LAB = {m for m in MODULES if m.startswith("minigpt.lab")}
LAB_ROOMS = {"compare", "sweep", "matrix", "graph", "tape"}  # one concept per folder
EXERCISES = {m for m in MODULES if m.startswith("minigpt.exercises")}
CLI = {m for m in MODULES if m.startswith("minigpt.cli")}
COMMANDS = {f"minigpt.cli.{name}" for name in ("train", "sweep", "grad_compare", "graph", "matrix", "lint", "docs",
                                                "hint", "check")}


def test_the_core_modules_named_here_exist():
    assert CORE <= OURS and len(CORE) > 12  # a renamed module would otherwise drop out of the checks unseen


def test_config_imports_no_file_system_helper():
    assert not [i for i in MODULES["minigpt.config"] if i.startswith(("minigpt.", "os", "pathlib", "tempfile"))]


def test_the_doctor_imports_nothing_from_the_course():
    doctor = {m: imps for m, imps in MODULES.items() if m.split(".")[0] == "autograd_doctor"}
    assert len(doctor) >= 10, "no doctor modules found: the test would check nothing"
    offenders = {m: sorted(i for i in imps if i.split(".")[0] == "minigpt") for m, imps in doctor.items()}
    assert not {m: i for m, i in offenders.items() if i}


def test_the_course_uses_only_the_doctors_public_names():
    course = {m: imps for m, imps in MODULES.items() if m.split(".")[0] == "minigpt"}
    assert course, "no course modules found: the test would check nothing"
    private = {m: sorted(i for i in imps if i.startswith("autograd_doctor._")) for m, imps in course.items()}
    assert not {m: i for m, i in private.items() if i}


def test_the_core_imports_neither_lab_nor_cli_nor_hydra():
    bad = {}
    for module in CORE:
        wrong = [i for i in MODULES[module] if i.startswith(("minigpt.lab", "minigpt.cli", "hydra", "omegaconf"))]
        if wrong:
            bad[module] = wrong
    assert not bad


def test_the_layers_named_here_exist():
    assert {f"minigpt.lab.{room}" for room in LAB_ROOMS} <= LAB and len(EXERCISES) > 5 and COMMANDS <= CLI


def test_the_lab_imports_neither_the_exercises_nor_the_cli():
    bad = {m: [i for i in MODULES[m] if i.startswith(("minigpt.cli", "minigpt.exercises"))] for m in LAB}
    assert not {m: i for m, i in bad.items() if i}


def test_the_exercises_never_import_the_cli():
    bad = {m: [i for i in MODULES[m] if i.startswith("minigpt.cli")] for m in EXERCISES}
    assert not {m: i for m, i in bad.items() if i}


def test_a_lab_room_imports_another_only_through_its_package():
    """compare/ is below sweep/ and matrix/: they import its package; from outside a room only plots.py, loaded
    late for matplotlib's second, is imported by its own name."""
    def room(module: str) -> str:
        return module.split(".")[2] if module.count(".") >= 2 else ""

    bad = {m: [i for i in MODULES[m] if i in OURS and i.startswith("minigpt.lab.") and i.count(".") >= 3
               and room(i) != room(m) and not i.startswith("minigpt.lab.compare.plots")]
           for m in OURS if m.startswith("minigpt.")}
    assert not {m: i for m, i in bad.items() if i}


def test_commands_do_not_import_each_other():
    bad = {m: sorted(i for i in MODULES[m] if i in COMMANDS and i != m) for m in COMMANDS}
    assert not {m: i for m, i in bad.items() if i}


def test_no_hydra_internals_anywhere():
    assert not {m for m, imps in MODULES.items() if any(i.startswith("hydra._internal") for i in imps)}


def test_no_import_cycle_between_our_modules():
    graph = {m: {i for i in imps if i in OURS and i != m} for m, imps in MODULES.items()}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in graph[module]:
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_importing_the_model_does_not_load_hydra():
    code = "import minigpt.model, minigpt.train, sys; assert 'hydra' not in sys.modules, 'hydra was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
