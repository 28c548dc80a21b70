"""The course uses Hydra and OmegaConf through their public API only: no private node access, no internals."""

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PRIVATE = ["_get_node", "hydra._internal"]


def test_the_search_has_files_to_read():
    assert len(list(SRC.rglob("*.py"))) > 20  # a wrong path would make the test below pass on nothing


@pytest.mark.parametrize("private", PRIVATE)
def test_no_source_file_uses_a_private_hydra_or_omegaconf_name(private):
    found = [f"{path.relative_to(SRC)}:{n}" for path in sorted(SRC.rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if private in line]
    assert not found
