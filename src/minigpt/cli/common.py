"""What every entry point shares: compose the Hydra config and turn user mistakes into one line."""

import dataclasses
import itertools
import sys
import typing
from dataclasses import dataclass, field
from enum import Enum

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from minigpt.config import ConfigError, Phase25Config
from minigpt.lab.compose import CONFIG_DIR, compose_config
from minigpt.runs.guard import check_can_run

USAGE_EXIT = 2  # a user mistake, as argparse and diff use it
CONFIG_GROUPS = {"model", "data", "experiment"}  # the folders of configs/
SILENT_COMMAND = "just phase-25-train inplace=true ln=unchecked"  # the silent break, as the commands suggest it
PHASE_NAMES = {"setup": "building the model and data", "forward": "the forward pass", "backward": "loss.backward()",
               "optimizer": "optimizer.step()", "eval": "evaluation"}  # a run record's failed_in, in words


class UsageError(Exception):
    """A user mistake, already phrased as the one line to print."""


def load_config(overrides: list[str], config_name: str = "phase25") -> DictConfig:
    """Compose configs/<config_name>.yaml with Hydra overrides, validate it, check that it can run here (out_dir,
    memory, a text file), or raise UsageError."""
    try:
        cfg = compose_config(overrides, config_name)
        check_can_run(cfg)
        return cfg
    except ConfigError as e:
        raise UsageError(f"bad config: {e}") from None
    except OverrideParseException as e:
        raise UsageError(unparsable_line(overrides, e)) from None
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
    """What the schema accepts at `key` (dotted: model.n_layer), in words, read from the dataclasses' types."""
    kind: object = Phase25Config
    for part in key.split("."):
        kind = typing.get_type_hints(kind).get(part) if dataclasses.is_dataclass(kind) else None
    kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)  # Optional[str] -> str
    if isinstance(kind, type) and issubclass(kind, Enum):
        return ", ".join(m.name for m in kind)
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return words.get(kind, "see configs/phase25.yaml")  # type: ignore[call-overload]


def unparsable_line(overrides: list[str], error: Exception) -> str:
    """The one line for overrides Hydra cannot parse, naming the one that fails."""
    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_overrides([override])
        except OverrideParseException as e:
            if "=" not in override and not override.startswith("~"):
                return f"'{override}' is not an override; write key=value, e.g. inplace=true"
            return (f"cannot parse '{override}': {str(e).splitlines()[0]}; quote a value with spaces or "
                    "other characters, e.g. 'run_name=\"my run\"'")
    return f"cannot parse the overrides: {str(error).splitlines()[0]}"


def missing_option_line(message: str, overrides: list[str]) -> str:
    """A config group option that does not exist (model=big): name it and list the real ones."""
    for override in overrides:
        group, _, option = override.partition("=")
        group_dir = CONFIG_DIR / group
        if group_dir.is_dir() and not (group_dir / f"{option}.yaml").exists():
            options = ", ".join(sorted(p.stem for p in group_dir.glob("*.yaml")))
            return f"no {group} named '{option}'; allowed: {options}"
        if group.startswith("hydra/"):
            return (f"no {group} named '{option}' (a Hydra plugin that is not installed?); the extras: "
                    "pip install -e '.[joblib]' (hydra/launcher=joblib), "
                    "'.[submitit]' (hydra/launcher=submitit_local), "
                    "'.[optuna]' (hydra/sweeper=optuna)")
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


# ---- Hydra's command line: its flags pass through untouched, the overrides are checked first ----

FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
                    "--config-dir", "-cd", "--experimental-rerun", "--shell-completion", "-sc"}
HELP_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--shell-completion", "-sc", "--info", "-i"}


@dataclass
class CommandLine:
    """A Hydra app's arguments, sorted: its flags (passed to Hydra as they are) and the overrides."""

    flags: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    @property
    def multirun(self) -> bool:
        return bool({"-m", "--multirun"} & set(self.flags))

    @property
    def asks_for_help(self) -> bool:
        """--help, --info, ...: Hydra answers and runs nothing, so nothing needs checking."""
        return any(f.split("=", 1)[0] in HELP_FLAGS for f in self.flags)


def split_command_line(args: list[str]) -> CommandLine:
    """Hydra's flags (with the value of those that take one) apart from the key=value overrides."""
    line, pending = CommandLine(), False
    for arg in args:
        if pending:
            line.flags.append(arg)
            pending = False
        elif arg.startswith("-"):
            line.flags.append(arg)
            pending = arg in FLAGS_WITH_VALUE
        else:
            line.overrides.append(arg)
    return line


def check_keys(overrides: list[str]) -> None:
    """Every override names a key of the schema, a config group or Hydra's own (`+key` included): else UsageError."""
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except OverrideParseException as e:
        raise UsageError(unparsable_line(overrides, e)) from None
    schema = OmegaConf.structured(Phase25Config)
    for o in parsed:
        key = o.key_or_group
        if key.split(".")[0].split("/")[0] == "hydra" or key in CONFIG_GROUPS:
            continue
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(schema, parent) if parent else schema
        if not isinstance(node, DictConfig) or leaf not in node:
            known = ", ".join(sorted(node.keys())) if isinstance(node, DictConfig) else "none"
            raise UsageError(f"unknown key '{key}' in '{o.input_line}'; allowed keys"
                             f"{' in ' + parent if parent else ''}: {known}")


def job_overrides(overrides: list[str]) -> list[list[str]]:
    """The overrides of each job a multirun of `overrides` runs, sweeps expanded as Hydra's basic sweeper does
    (a cartesian product, in order)."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    choices = [[f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()] if o.is_sweep_override()
               else [o.input_line] for o in parsed]
    return [list(job) for job in itertools.product(*choices)]


def swept_keys(overrides: list[str]) -> list[str]:
    """The keys a multirun sweeps (seed for seed=range(5)), in order."""
    return [o.get_key_element().lstrip("+") for o in OverridesParser.create().parse_overrides(overrides)
            if o.is_sweep_override()]


def check_command_line(line: CommandLine) -> list[DictConfig]:
    """The config of every job the command line would run, each composed and validated; UsageError at the
    first mistake. A sweep without -m is refused, as Hydra would."""
    check_keys(line.overrides)
    jobs = job_overrides(line.overrides)
    if len(jobs) > 1 and not line.multirun:
        sweep = next(o for o in line.overrides if o not in jobs[0])
        raise UsageError(f"'{sweep}' is a sweep; allowed: a sweep with -m (multirun), e.g. -m {sweep}")
    if line.multirun and any(o.split("=", 1)[0].lstrip("+") == "run_name" for o in line.overrides):
        raise UsageError("run_name in a multirun: every job is named <experiment>-seed<k>; allowed: any other key")
    return [load_config(job) for job in jobs]
