"""The README's example is run as the README says, and its output block is what it really prints."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def block_after(marker: str, text: str) -> str:
    """The fenced block that follows an HTML comment starting with `marker`."""
    match = re.search(re.escape(marker) + r".*?-->\n```\w*\n(.*?)```", text, re.S)
    assert match, f"no block after {marker}"
    return match.group(1)


def test_the_readme_example_prints_the_readme_output(tmp_path):
    text = README.read_text()
    (tmp_path / "train.py").write_text(block_after("<!-- example: train.py", text))
    done = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True)
    printed = done.stderr[done.stderr.index("RuntimeError"):]
    assert done.returncode == 1 and printed == block_after("<!-- output:", text), printed
