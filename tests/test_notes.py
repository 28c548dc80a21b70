"""Every Python code block in the notes runs (a small collector: pytest-markdown-docs would need
--markdown-docs and theory/ in the shared addopts and testpaths, and would also run docstrings)."""

import re
import runpy

import pytest
from tools.docs import MEASURED_SNIPPETS, THEORY, snippet_in_language

from minigpt.language import LANGUAGES

FENCE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.S | re.M)


def python_blocks() -> list:
    """(note:line, code) of every python fence in theory/*.md."""
    slow = {snippet_in_language(p.read_text(), lang).strip() for p in MEASURED_SNIPPETS.glob("*.py")
            for lang in LANGUAGES}
    blocks = []  # the measured snippets (torch.compile: tens of seconds) as the notes render them, in either language
    for note in sorted(THEORY.glob("*.md")):
        text = note.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            marks = [pytest.mark.slow] if match["code"].strip() in slow else []
            blocks.append(pytest.param(match["code"], id=f"{note.name}:{line}", marks=marks))
    return blocks


@pytest.mark.parametrize("code", python_blocks())
def test_python_block_in_notes_runs(code, tmp_path, capsys):
    script = tmp_path / "block.py"
    script.write_text(code)
    runpy.run_path(str(script), run_name="__main__")  # a failing assert or an exception fails the test
    capsys.readouterr()
