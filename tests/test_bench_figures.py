"""The speed figures speak both languages: each name and detail is a table keyed by language, and the Spanish
says the same numbers as the English, in the same order (benchmarks/measured*.json and the code that writes them)."""

import json
import re
import sys
from pathlib import Path

import pytest
from tools import docs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import doctor_bench  # noqa: E402
from minigpt.language import LANGUAGES  # noqa: E402

MEASURED = [docs.BENCH_FIGURES, docs.CUDA_FIGURES]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # 1.14, 113,132, 32x32 (two numbers), phase-25 (one)


def words_problems(figure: dict) -> list[str]:
    """What is wrong with a figure's name and detail as bilingual text; [] when nothing is."""
    problems = []
    for key in ("name", "detail"):
        if key not in figure:
            continue
        text = figure[key]
        if not isinstance(text, dict) or set(text) != set(LANGUAGES):
            problems.append(f"{key} is not a table keyed by {', '.join(LANGUAGES)}: {text!r}")
            continue
        if text["es"] == text["en"]:
            problems.append(f"{key} is not translated: {text['en']!r}")
        if NUMBER.findall(text["es"]) != NUMBER.findall(text["en"]):
            problems.append(f"{key} says other numbers in Spanish: {text['en']!r} / {text['es']!r}")
    return problems


@pytest.mark.parametrize("path", MEASURED, ids=lambda p: p.name)
def test_every_measured_figure_has_its_name_and_detail_in_both_languages_with_the_same_numbers(path):
    figures = json.loads(path.read_text())["figures"]
    assert figures, f"{path.name} holds no figures"
    problems = [f"figure {i}: {p}" for i, f in enumerate(figures) for p in words_problems(f)]
    assert not problems, "\n".join(problems)


def test_the_doctor_benchmarks_build_both_languages_from_the_same_numbers():
    """Tiny sizes of the real figure functions: what `just bench` writes passes the same check as the file."""
    figures = [doctor_bench.scale_figure(*doctor_bench.sin_chain(10), repeats=1),
               doctor_bench.scale_figure(*doctor_bench.linear_relu_stack(2), repeats=1),
               *doctor_bench.per_call_figures(calls=10, rounds=1),
               *doctor_bench.explain_and_anomaly(*doctor_bench.default_model_step(), rounds=1, steps=1)]
    assert len(figures) == 8
    problems = [p for f in figures for p in words_problems(f)]
    assert not problems, "\n".join(problems)


def test_a_figure_table_shows_each_language_and_an_old_plain_string_as_it_is():
    figures = [{"name": {"en": "lint of 3 files", "es": "lint de 3 ficheros"}, "value": 0.5, "unit": "s",
                "target": 1.0, "better": "lower", "detail": {"en": "medians of 3", "es": "medianas de 3"}},
               {"name": "an old figure", "value": 2.0, "unit": "x", "target": None, "better": "lower"}]
    spanish = "\n".join(docs.figures_table(figures, "es"))
    assert "| lint de 3 ficheros | 0.5 s | ≤ 1.0 s | cumplido | medianas de 3 |" in spanish
    assert "| an old figure | 2.0 x | — |  |  |" in spanish
    assert "| lint of 3 files | 0.5 s | ≤ 1.0 s | met | medians of 3 |" in "\n".join(docs.figures_table(figures, "en"))
