"""What every entry point shares: compose the Hydra config and turn user mistakes into one line."""

import sys

from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException
from omegaconf.nodes import BooleanNode, EnumNode, FloatNode, IntegerNode, StringNode

from minigpt.config import ConfigError, Phase25Config
from minigpt.lab.compose import CONFIG_DIR, compose_config

USAGE_EXIT = 2  # a user mistake, as argparse and diff use it


class UsageError(Exception):
    """A user mistake, already phrased as the one line to print."""


def load_config(overrides: list[str], config_name: str = "phase25") -> DictConfig:
    """Compose configs/<config_name>.yaml with Hydra overrides, validate it, or raise UsageError."""
    try:
        return compose_config(overrides, config_name)
    except ConfigError as e:
        raise UsageError(f"bad config: {e}") from None
    except OverrideParseException:
        bad = next((o for o in overrides if "=" not in o), " ".join(overrides))
        raise UsageError(f"'{bad}' is not an override; write key=value, e.g. inplace=true") from None
    except MissingConfigException as e:
        raise UsageError(missing_option_line(str(e), overrides)) from None
    except HydraException as e:
        raise UsageError(override_error_line(e, overrides)) from None


def override_error_line(error: HydraException, overrides: list[str]) -> str:
    """One line naming the key, what was wrong and what the schema allows there."""
    cause = error.__cause__
    key = getattr(cause, "full_key", None) if isinstance(cause, OmegaConfBaseException) else None
    if not key:
        return f"bad override: {str(error).splitlines()[0]}"
    given = next((o for o in overrides if o.lstrip("+~").split("=", 1)[0] == key), key)
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        parent = key.rpartition(".")[0]
        node = OmegaConf.select(OmegaConf.structured(Phase25Config), parent) if parent else Phase25Config
        known = ", ".join(k for k in OmegaConf.structured(node).keys())
        return f"unknown key '{key}' in '{given}'; allowed keys{' in ' + parent if parent else ''}: {known}"
    problem = str(cause).splitlines()[0]
    return f"bad value in '{given}': {problem}; allowed for {key}: {allowed_values(key)}"


def allowed_values(key: str) -> str:
    """What the schema accepts at `key`, in words."""
    node = OmegaConf.structured(Phase25Config)._get_node(key)  # a typed node of the schema
    if isinstance(node, EnumNode):
        return ", ".join(m.name for m in node.enum_type)
    kinds = {BooleanNode: "true or false", IntegerNode: "an integer", FloatNode: "a number",
             StringNode: "a string"}
    return next((words for kind, words in kinds.items() if isinstance(node, kind)), "see configs/phase25.yaml")


def missing_option_line(message: str, overrides: list[str]) -> str:
    """A config group option that does not exist (model=big): name it and list the real ones."""
    for override in overrides:
        group, _, option = override.partition("=")
        group_dir = CONFIG_DIR / group
        if group_dir.is_dir() and not (group_dir / f"{option}.yaml").exists():
            options = ", ".join(sorted(p.stem for p in group_dir.glob("*.yaml")))
            return f"no {group} named '{option}'; allowed: {options}"
    return f"bad config: {message.splitlines()[0]}"


def arguments_or_help(argv: list[str] | None, help_text: str) -> list[str] | None:
    """The command's arguments, or None after printing its help when -h or --help is among them."""
    args = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(args):
        print(help_text)
        return None
    return args


def config_or_fail(overrides: list[str], program: str) -> DictConfig:
    """load_config, with a user mistake printed as one line and exit status 2."""
    try:
        return load_config(overrides)
    except UsageError as e:
        fail(str(e), program)


def fail(line: str, program: str) -> None:
    """Print the one line of a user mistake and exit with the usage status."""
    print(f"{program}: error: {line}", file=sys.stderr)
    raise SystemExit(USAGE_EXIT)
