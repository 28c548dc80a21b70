"""The hint cascade: three levels in two languages, and one clear line for a bad request."""

import pytest

from minigpt.cli.hint import main
from minigpt.lab.hints import HINTS, LANGUAGES, LEVELS, hint


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_level_tells_more_without_repeating(language):
    texts = [hint(level, language) for level in LEVELS]
    assert len(set(texts)) == 3


def test_only_the_last_level_gives_the_fix():
    for language in LANGUAGES:
        assert "h = h + " not in hint(1, language) + hint(2, language)
        assert "h = h + self.attn(self.ln1(h))" in hint(3, language)


def test_level_two_points_at_block_py_and_underscore_calls():
    assert "block.py" in hint(2, "en") and "add_" in hint(2, "en")


def test_both_languages_have_the_same_levels():
    assert HINTS["en"].keys() == HINTS["es"].keys() == set(LEVELS)


def test_cli_prints_the_spanish_hint(capsys):
    main(["2", "lang=es"])
    assert capsys.readouterr().out == hint(2, "es") + "\n"


@pytest.mark.parametrize("args, says", [
    (["4"], "'4' is not a hint level; allowed: 1, 2, 3"),
    ([], "give exactly one hint level, got 0; allowed: 1, 2, 3"),
    (["1", "lang=fr"], "unknown language 'fr' in 'lang=fr'; allowed: en, es"),
    (["1", "language=es"], "unknown option 'language'; allowed: lang=en or lang=es"),
])
def test_cli_bad_request_is_one_line_with_exit_2(capsys, args, says):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"phase-25-hint: error: {says}\n"
