"""What every entry point shares: compose the Hydra config and turn user mistakes into one line.

The lines are made from what Hydra and OmegaConf raise (their public exceptions and the attributes they
carry: full_key, missing_cfg_file, options) and from the arguments as the user typed them.
"""

import dataclasses
import sys
import typing
from enum import Enum
from typing import Optional

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from minigpt.config import ConfigError, Phase25Config, validate
from minigpt.lab.compose import compose_config
from minigpt.runs.guard import check_can_run

USAGE_EXIT = 2  # a user mistake, as argparse and diff use it
SILENT_COMMAND = "just phase-25-train inplace=true ln=unchecked"  # the silent break, as the commands suggest it
PHASE_NAMES = {"setup": "building the model and data", "forward": "the forward pass", "backward": "loss.backward()",
               "optimizer": "optimizer.step()", "eval": "evaluation"}  # a run record's failed_in, in words
PLUGIN_EXTRAS = ("pip install -e '.[joblib]' (hydra/launcher=joblib), '.[submitit]' (hydra/launcher=submitit_local), "
                 "'.[optuna]' (hydra/sweeper=optuna)")


class UsageError(Exception):
    """A user mistake, already phrased as the one line to print."""


def load_config(overrides: list[str], config_name: str = "phase25") -> DictConfig:
    """Compose configs/<config_name>.yaml with Hydra overrides, validate it, check that it can run here (out_dir,
    memory, a text file), or raise UsageError."""
    try:
        cfg = compose_config(overrides, config_name)
    except (HydraException, OmegaConfBaseException) as e:
        raise UsageError(hydra_error_line(e, overrides)) from None
    except ConfigError as e:
        raise UsageError(f"bad config: {e}") from None
    check_config(cfg, overrides)
    return cfg


def check_config(cfg: DictConfig, args: list[str]) -> None:
    """What a composed config must pass before it runs: the schema's keys, none added (+key) or removed
    (~key), then validate's rules and check_can_run's (out_dir, memory, a text file); else UsageError."""
    problem = schema_key_problem(cfg, args)
    if problem:
        raise UsageError(problem)
    try:
        validate(cfg)
        check_can_run(cfg)
    except ConfigError as e:
        raise UsageError(f"bad config: {e}") from None


def hydra_error_line(error: Exception, args: list[str]) -> str:
    """The one line for what Hydra or OmegaConf raised while composing the config of `args` (the command
    line as typed: Hydra's flags and the overrides)."""
    if isinstance(error, OverrideParseException):
        return unparsable_line(args, error)
    if isinstance(error, MissingConfigException):
        return missing_option_line(error)
    cause = error if isinstance(error, OmegaConfBaseException) else error.__cause__
    if isinstance(cause, OmegaConfBaseException):
        return override_error_line(cause, args)
    sweep = next((o for o in parsed_overrides(args) if o.is_sweep_override()), None)
    if sweep is not None and sweep.is_interval_sweep():
        return (f"'{sweep.input_line}' is an interval, which Hydra's basic sweeper cannot enumerate; "
                "allowed: an interval with hydra/sweeper=optuna, or a list (a,b), range(...) or choice(...)")
    if sweep is not None:
        return f"'{sweep.input_line}' is a sweep; allowed: a sweep with -m (multirun), e.g. -m {sweep.input_line}"
    return f"bad override: {' '.join(line.strip() for line in str(error).splitlines() if line.strip())}"


def parsed_overrides(args: list[str]) -> list[Override]:
    """The arguments that Hydra's public override parser reads as overrides, each parsed alone (a flag, or a
    flag's value such as the `job` of `--cfg job`, is not one)."""
    parser, parsed = OverridesParser.create(), []
    for arg in args:
        try:
            parsed += [] if arg.startswith("-") else parser.parse_overrides([arg])
        except OverrideParseException:
            continue
    return parsed


def swept_keys(args: list[str]) -> list[str]:
    """The keys the arguments sweep (seed for seed=range(5)), in order."""
    return [o.get_key_element().lstrip("+~") for o in parsed_overrides(args) if o.is_sweep_override()]


def given_override(key: str, args: list[str]) -> str:
    """The argument that sets `key` (`+model.n_embd=30` or `~model.n_embd` for model.n_embd), or the key itself."""
    return next((a for a in args if a.lstrip("+~").split("=", 1)[0] == key), key)


def override_error_line(cause: OmegaConfBaseException, args: list[str]) -> str:
    """One line naming the key, what was wrong and what the schema allows there."""
    key = getattr(cause, "full_key", None)
    if not key:
        return f"bad override: {str(cause).splitlines()[0]}"
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
        return key_line(key, args)
    problem = str(cause).splitlines()[0]
    return f"bad value in '{given_override(key, args)}': {problem}; allowed for {key}: {allowed_values(key)}"


def key_line(key: str, args: list[str]) -> str:
    """A key the config should not have (unknown to the schema), or one it lacks (removed with ~key)."""
    schema = OmegaConf.structured(Phase25Config)
    given = given_override(key, args)
    if OmegaConf.select(schema, key, default=KeyError) is not KeyError:  # a key of the schema: it was removed
        return f"'{given}' removes {key}, which every run needs; allowed: {key}=VALUE to change it"
    parent = key.rpartition(".")[0]
    node = OmegaConf.select(schema, parent) if parent else schema
    known = ", ".join(node.keys()) if isinstance(node, DictConfig) else "none"
    return f"unknown key '{key}' in '{given}'; allowed keys{' in ' + parent if parent else ''}: {known}"


def schema_key_problem(cfg: DictConfig, args: list[str]) -> Optional[str]:
    """The line for a key the schema does not have (added with +key or ++key) or one it needs (removed with
    ~key); None when the config has exactly the schema's keys."""
    def keys(node: object, prefix: str = "") -> set[str]:
        if not isinstance(node, dict):
            return set()
        return {prefix + str(k) for k in node} | {k for name, v in node.items() for k in keys(v, f"{prefix}{name}.")}

    have = keys(OmegaConf.to_container(cfg, resolve=False))
    need = keys(OmegaConf.to_container(OmegaConf.structured(Phase25Config), resolve=False))
    wrong = sorted(have ^ need)
    return key_line(wrong[0], args) if wrong else None


def allowed_values(key: str) -> str:
    """What the schema accepts at `key` (dotted: model.n_layer), in words, read from the dataclasses' types."""
    kind: object = Phase25Config
    for part in key.split("."):
        kind = typing.get_type_hints(kind).get(part) if dataclasses.is_dataclass(kind) else None
    kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)  # Optional[str] -> str
    if isinstance(kind, type) and issubclass(kind, Enum):
        return ", ".join(m.name for m in kind)
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return words.get(kind, "see configs/phase25.yaml")  # type: ignore[call-overload]


def unparsable_line(args: list[str], error: OverrideParseException) -> str:
    """The one line for an override Hydra cannot parse: the argument its message quotes (the longest, should one
    argument contain another)."""
    parser, failing = OverridesParser.create(), []
    for arg in args:
        try:
            parser.parse_overrides([arg])
        except OverrideParseException as e:
            if arg and arg in str(error):
                failing.append((arg, e))
    if not failing:
        return f"cannot parse the overrides: {str(error).splitlines()[0]}"
    override, e = max(failing, key=lambda f: len(f[0]))
    if override.startswith("-") and "=" in override:  # --block=1: the options here are key=value too
        return f"'{override}' is not an override; write key=value, e.g. {override.lstrip('-')}"
    if "=" not in override and not override.startswith("~"):
        return f"'{override}' is not an override; write key=value, e.g. inplace=true"
    return (f"cannot parse '{override}': {str(e).splitlines()[0]}; quote a value with spaces or "
            "other characters, e.g. 'run_name=\"my run\"'")


def missing_option_line(error: MissingConfigException) -> str:
    """A config group option that does not exist (model=big): name it and list the real ones, which Hydra's
    exception carries."""
    group, _, option = (error.missing_cfg_file or "").rpartition("/")
    if not group:
        return f"bad config: {str(error).splitlines()[0]}"
    allowed = ", ".join(error.options or []) or "none"
    if group.startswith("hydra/"):
        return (f"no {group} named '{option}'; allowed: {allowed}; a Hydra plugin that is not installed? "
                f"The extras: {PLUGIN_EXTRAS}")
    return f"no {group} named '{option}'; allowed: {allowed}"


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
