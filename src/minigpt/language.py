"""The course's two languages, and the one way its text picks one: a table keyed by language code.

Every bilingual text (a hint, a verdict, a generated table's words) is such a table, read through
`in_language`; `say` writes a two-entry table inline for a message built on the spot. English is the default;
the Spanish follows the course's glossary. Code, numbers and PyTorch's own messages are never translated.
"""

from collections.abc import Mapping
from typing import TypeVar

LANGUAGES = ("en", "es")
Text = TypeVar("Text")


def checked_language(language: str) -> str:
    """`language` when the course speaks it; ValueError naming the allowed ones otherwise."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language '{language}'; allowed: {', '.join(LANGUAGES)}")
    return language


def in_language(texts: Mapping[str, Text], language: str) -> Text:
    """The entry of `texts` for `language`; the table must hold every language (a missing one is the course's bug)."""
    missing = [lang for lang in LANGUAGES if lang not in texts]
    if missing:
        raise KeyError(f"a bilingual text has no '{missing[0]}' entry (it has {', '.join(sorted(texts))})")
    return texts[checked_language(language)]


def say(language: str, en: str, es: str) -> str:
    """One message written in both languages side by side, in `language`."""
    return in_language({"en": en, "es": es}, language)
