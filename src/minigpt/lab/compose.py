"""Hydra, where the course composes its config: configs/phase25.yaml with overrides, checked by the schema.

The YAML files ship inside the package (src/minigpt/configs/, package data; the repository's configs/ links
there), so an installed course composes the same config with no checkout around it.
"""

from importlib import resources
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore

from minigpt.config import Phase25Config, validate

CONFIG_DIR = Path(str(resources.files("minigpt") / "configs"))  # a folder on disk: Hydra reads it by path
SCHEMA = "phase25_schema"  # the name configs/phase25.yaml lists first in its defaults


def register_configs() -> None:
    """Register the schema so configs/phase25.yaml is validated against it."""
    ConfigStore.instance().store(name=SCHEMA, node=Phase25Config)


def compose_config(overrides: list[str], config_name: str = "phase25"):
    """configs/<config_name>.yaml with Hydra overrides, composed and validated (Hydra's errors pass through)."""
    register_configs()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name, overrides=overrides)
    validate(cfg)
    return cfg
