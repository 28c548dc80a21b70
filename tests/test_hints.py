"""The hint cascades: three levels in two languages, each level telling more, and one clear line for a bad request."""

import pytest

from minigpt.cli.hint import main
from minigpt.exercises.hints import CASCADES, HINTS, LEVELS, hint
from minigpt.language import LANGUAGES

REVEALS = {  # cascade -> level -> what that level adds: level 2 the tool that answers, level 3 the answer
    "loud": {2: "detect_anomaly=true", 3: "h.add_(...)"},
    "silent": {2: "phase-25-grad-compare", 3: "ctx.save_for_backward"},
    "predict": {2: "_saved_", 3: "phase-25-matrix"},
    "find": {2: "phase-25-lint", 3: "doctor=true"},
    "gan": {2: "autograd-doctor run", 3: "optD.step()"},
}


@pytest.mark.parametrize("cascade", CASCADES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_level_tells_more_without_repeating(cascade, language):
    texts = [hint(level, language, cascade) for level in LEVELS]
    assert len(set(texts)) == 3
    for level, reveal in REVEALS[cascade].items():  # what a level adds is in it, and in no level before it
        assert reveal in texts[level - 1], (level, reveal)
        assert not any(reveal in earlier for earlier in texts[:level - 1]), (level, reveal)


def test_only_the_last_level_gives_the_fix():
    for language in LANGUAGES:
        assert "h = h + " not in hint(1, language) + hint(2, language)
        assert "h = h + self.attn(self.ln1(h))" in hint(3, language)


def test_level_two_teaches_anomaly_mode_instead_of_naming_the_file():
    for language in LANGUAGES:
        assert "detect_anomaly=true" in hint(2, language) and "block.py" not in hint(2, language)


def test_the_silent_cascade_leads_from_suspicion_to_grad_compare_to_ctx_attributes():
    for language in LANGUAGES:
        first, second, third = (hint(level, language, "silent") for level in LEVELS)
        assert "grad-compare" not in first and "layer_norm.py" not in first + second
        assert "just phase-25-grad-compare 25-A 25-B" in second
        assert "ctx.x" in third and "ctx.save_for_backward" in third


def test_the_exercise_cascades_end_with_the_tool_that_answers():
    assert "just phase-25-matrix" in hint(3, "en", "predict")
    assert "run.py doctor=true" in hint(3, "en", "find") and "doctor=true" not in hint(2, "en", "find")


def test_spanish_hints_use_the_glossary_terms():
    spanish = " ".join(hint(level, "es", cascade) for cascade in CASCADES for level in LEVELS)
    assert "incrementa el contador de versiones" in spanish
    for avoided in ("sube el contador", "fuera de sitio", "ruidos", "cuando nada lanza"):
        assert avoided not in spanish.lower()


def test_every_cascade_has_the_same_levels_in_both_languages():
    assert set(HINTS) == set(CASCADES)
    assert all(HINTS[c][lang].keys() == set(LEVELS) for c in CASCADES for lang in LANGUAGES)


def test_cli_prints_the_spanish_hint(capsys):
    main(["2", "lang=es"])
    assert capsys.readouterr().out == hint(2, "es") + "\n"


def test_cli_prints_the_requested_cascade(capsys):
    main(["1", "cascade=silent"])
    assert capsys.readouterr().out == hint(1, "en", "silent") + "\n"


@pytest.mark.parametrize("args, says", [
    (["4"], "'4' is not a hint level; allowed: 1, 2, 3"),
    ([], "give exactly one hint level, got 0; allowed: 1, 2, 3"),
    (["1", "lang=fr"], "unknown value 'fr' in 'lang=fr'; allowed: en, es"),
    (["1", "cascade=quiet"], "unknown value 'quiet' in 'cascade=quiet'; allowed: loud, silent, predict, find, gan"),
    (["1", "language=es"], "unknown option 'language'; allowed: cascade=..., lang=..."),
])
def test_cli_bad_request_is_one_line_with_exit_2(capsys, args, says):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"phase-25-hint: error: {says}\n"
