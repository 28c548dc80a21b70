"""The README's example is run, and its output block is what Python prints for the exception it ends in."""

import re
import runpy
import traceback
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def block_after(marker: str, text: str) -> str:
    """The fenced block that follows an HTML comment starting with `marker`."""
    match = re.search(re.escape(marker) + r".*?-->\n```\w*\n(.*?)```", text, re.S)
    assert match, f"no block after {marker}"
    return match.group(1)


def test_the_readme_example_prints_the_readme_output(tmp_path, monkeypatch):
    text = README.read_text()
    (tmp_path / "train.py").write_text(block_after("<!-- example: train.py", text))
    monkeypatch.chdir(tmp_path)  # `python train.py` from its folder: the note names train.py:LINE
    with pytest.raises(RuntimeError) as error:
        runpy.run_path("train.py", run_name="__main__")
    printed = "".join(traceback.format_exception_only(error.value))  # the lines `python train.py` ends with
    assert printed == block_after("<!-- output:", text), printed
