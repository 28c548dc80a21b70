"""Every note exists in English and Spanish with the same structure, code and generated blocks."""

import ast
import re

import pytest
from tools.docs import ES_LINE, MEASURED_SNIPPETS, SNIPPETS, THEORY, base_name, blocks_in, registry, snippet_in_language

HEADING = re.compile(r"^(#+) ", re.M)
CODE = re.compile(r"^```(?P<lang>\w*)\n(?P<code>.*?)^```$", re.S | re.M)
ENGLISH_NOTES = sorted(p for p in THEORY.glob("*.md") if not p.name.endswith(".es.md"))
SNIPPET_FILES = sorted([*SNIPPETS.glob("*.py"), *MEASURED_SNIPPETS.glob("*.py")])


def twin(note):
    spanish = note.with_name(note.stem + ".es.md")
    assert spanish.exists(), f"{note.name} has no Spanish twin {spanish.name}"
    return spanish.read_text()


def without_generated(text: str) -> str:
    return re.sub(r"<!-- generated:([\w.-]+) -->\n.*?<!-- /generated:\1 -->", "", text, flags=re.S)


def code_only(source: str) -> str:
    """The program without its comments and docstrings: what must be the same in both languages."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_heading_levels(note):
    assert HEADING.findall(twin(note)) == HEADING.findall(note.read_text())


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_code_blocks(note):
    english, spanish = note.read_text(), twin(note)
    assert [m["lang"] for m in CODE.finditer(without_generated(spanish))] == \
        [m["lang"] for m in CODE.finditer(without_generated(english))]
    assert [code_only(m["code"]) for m in CODE.finditer(spanish) if m["lang"] == "python"] == \
        [code_only(m["code"]) for m in CODE.finditer(english) if m["lang"] == "python"]


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_generated_blocks_in_spanish_where_they_exist(note):
    english, spanish, known = blocks_in(note.read_text()), blocks_in(twin(note)), registry()
    assert [base_name(name) for name, _ in spanish] == [name for name, _ in english]
    for (name, body), (es_name, es_body) in zip(english, spanish):
        assert es_name == (f"{name}.es" if f"{name}.es" in known else name), f"use the Spanish block {name}.es"
        if es_name == name:
            assert es_body == body


@pytest.mark.parametrize("snippet", SNIPPET_FILES, ids=lambda p: p.name)
def test_a_snippet_is_one_source_whose_two_languages_have_the_same_code(snippet):
    assert not snippet.name.endswith(".es.py"), "a snippet is one file: its Spanish goes on '# es:' lines"
    source = snippet.read_text()
    english, spanish = snippet_in_language(source, "en"), snippet_in_language(source, "es")  # unpaired: raises
    assert code_only(english) == code_only(spanish) == code_only(source)
    translations = sum(bool(ES_LINE.match(line)) for line in source.splitlines())
    changed = sum(a != b for a, b in zip(english.splitlines(), spanish.splitlines()))
    assert changed == translations, "a '# es:' line that repeats the English translates nothing"


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_links_to_spanish_notes(note):
    links = re.findall(r"\]\(([\w-]+)\.md", twin(note))
    assert not links, f"{note.stem}.es.md links to English notes: {links}; link to NAME.es.md"


def test_every_spanish_note_has_an_english_original():
    orphans = [p.name for p in THEORY.glob("*.es.md") if not p.with_name(p.name.replace(".es.md", ".md")).exists()]
    assert not orphans
