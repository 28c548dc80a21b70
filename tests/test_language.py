"""One mechanism for the course's Spanish: every bilingual text is a table keyed by language, read through
minigpt.language, with the same shape in both languages; no module keeps a language list or a test of its own."""

import re
from pathlib import Path

import pytest
from tools import docs

from minigpt.exercises import gan_loop, hints, predictions
from minigpt.language import LANGUAGES, checked_language, in_language, say

ROOT = Path(__file__).resolve().parents[1]
TABLES = {  # every table of text keyed by language in the course and its tools
    **{f"hint {cascade}": table for cascade, table in hints.HINTS.items()},
    "predictions header": predictions.HEADER,
    **{f"why {variant}": table for variant, (_, table) in predictions.WHY.items()},
    **{f"gan loop {order}": table for order, table in gan_loop.ORDER_NAMES.items()},
    **{f"gan why {order}": table for order, table in gan_loop.WHY.items()},
    "gan and": gan_loop.AND,
    "generated tables": docs.TEXT,
}


def shape(value):
    """What must match across languages: the keys of a dict, all the way down; a string is a leaf."""
    return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__


@pytest.mark.parametrize("name", TABLES)
def test_every_bilingual_table_has_both_languages_with_the_same_shape(name):
    table = TABLES[name]
    assert set(table) == set(LANGUAGES), name
    assert shape(table["es"]) == shape(table["en"]), name
    assert table["es"] != table["en"], name  # translated, not copied


def test_a_language_the_course_does_not_speak_is_one_clear_error():
    with pytest.raises(ValueError, match="unknown language 'fr'; allowed: en, es"):
        checked_language("fr")
    with pytest.raises(ValueError, match="allowed: en, es"):
        say("fr", "hello", "hola")
    assert [say(lang, "hello", "hola") for lang in LANGUAGES] == ["hello", "hola"]


def test_a_table_missing_a_language_is_the_course_s_bug_and_says_which():
    with pytest.raises(KeyError, match="no 'es' entry"):
        in_language({"en": "only English"}, "en")


def test_no_module_keeps_its_own_language_list_or_language_test():
    own = re.compile(r'LANGUAGES\s*=|language\s*==\s*"es"|lang\s*==\s*"es"|_ES\b|_es\b')
    offenders = [f"{path.relative_to(ROOT)}:{k}" for folder in ("src", "tools")
                 for path in sorted((ROOT / folder).rglob("*.py")) if path.name != "language.py"
                 for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if own.search(line)]
    assert offenders == []
