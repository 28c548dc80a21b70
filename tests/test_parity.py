"""Every note exists in English and Spanish with the same structure, code and generated blocks."""

import re

import pytest

from minigpt.lab.docs import THEORY, blocks_in

HEADING = re.compile(r"^(#+) ", re.M)
CODE = re.compile(r"^```(?P<lang>\w*)\n(?P<code>.*?)^```$", re.S | re.M)
ENGLISH_NOTES = sorted(p for p in THEORY.glob("*.md") if not p.name.endswith(".es.md"))


def twin(note):
    spanish = note.with_name(note.stem + ".es.md")
    assert spanish.exists(), f"{note.name} has no Spanish twin {spanish.name}"
    return spanish.read_text()


def without_generated(text: str) -> str:
    return re.sub(r"<!-- generated:([\w.-]+) -->\n.*?<!-- /generated:\1 -->", "", text, flags=re.S)


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_heading_levels(note):
    assert HEADING.findall(twin(note)) == HEADING.findall(note.read_text())


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_code_blocks(note):
    english, spanish = note.read_text(), twin(note)
    assert [m["lang"] for m in CODE.finditer(without_generated(spanish))] == \
        [m["lang"] for m in CODE.finditer(without_generated(english))]
    assert [m["code"] for m in CODE.finditer(spanish) if m["lang"] == "python"] == \
        [m["code"] for m in CODE.finditer(english) if m["lang"] == "python"]


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_has_same_generated_blocks(note):
    assert blocks_in(twin(note)) == blocks_in(note.read_text())


@pytest.mark.parametrize("note", ENGLISH_NOTES, ids=lambda p: p.name)
def test_spanish_twin_links_to_spanish_notes(note):
    links = re.findall(r"\]\(([\w-]+)\.md", twin(note))
    assert not links, f"{note.stem}.es.md links to English notes: {links}; link to NAME.es.md"


def test_every_spanish_note_has_an_english_original():
    orphans = [p.name for p in THEORY.glob("*.es.md") if not p.with_name(p.name.replace(".es.md", ".md")).exists()]
    assert not orphans
