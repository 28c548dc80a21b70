"""validate(): every rule the schema cannot express, one ConfigError (key, problem, allowed) each."""

import pytest

from minigpt.cli.common import load_config
from minigpt.config import ConfigError
from minigpt.data import make_splits
from minigpt.lab.compose import compose_config
from minigpt.model import build_model
from minigpt.runs.guard import check_can_run, check_out_dir, estimate_memory, memory_note
from tests.conftest import TINY

REFUSED = [  # (override, the key named, words of the problem): validate(), the config's own rules
    ("seed=-1", "seed", "got -1"),
    ("seed=9223372036854775808", "seed", "got 9223372036854775808"),
    ("data.n_train=0", "data.n_train", "got 0"),
    ("data.n_eval=0", "data.n_eval", "got 0"),
    ("train.weight_decay=nan", "train.weight_decay", "got nan"),
    ("train.weight_decay=-0.1", "train.weight_decay", "got -0.1"),
    ("train.lr=inf", "train.lr", "got inf"),
    ("train.lr=nan", "train.lr", "got nan"),
    ("run_name=../../etc/x", "run_name", "not a plain name"),
    ("run_name=a/b", "run_name", "not a plain name"),
    ("run_name=''", "run_name", "empty"),
    ("run_name=.hidden", "run_name", "not a plain name"),
    ("run_name=..", "run_name", "not a plain name"),
    ("run_name=a@b", "run_name", "not a plain name"),
    ("out_dir=''", "out_dir", "empty"),
    ("data.path=notes.txt", "data.path", "data=agreement does not read files"),
]
REFUSED_HERE = [  # (override, key, words): minigpt.runs.guard, what this machine allows (checked at the claim)
    ("out_dir=/proc", "out_dir", "not writable"),
    ("out_dir=/etc/hostname/x", "out_dir", "not a directory"),
    ("data.block_size=1000000", "data.block_size", "GiB available"),
    ("model.n_layer=1000000", "model.n_layer", "GiB available"),
    ("train.batch_size=100000000", "train.batch_size", "GiB available"),
]


@pytest.mark.parametrize("override, key, words", REFUSED, ids=[o for o, _, _ in REFUSED])
def test_each_rule_raises_one_config_error_naming_the_key(tmp_path, monkeypatch, override, key, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        compose_config([*TINY, override])
    assert error.value.key == key and words in error.value.problem, str(error.value)
    assert len(str(error.value).splitlines()) == 1


@pytest.mark.parametrize("override, key, words", REFUSED_HERE, ids=[o for o, _, _ in REFUSED_HERE])
def test_a_run_this_machine_cannot_hold_is_refused_before_its_claim_naming_the_key(tmp_path, monkeypatch, override,
                                                                                  key, words):
    monkeypatch.chdir(tmp_path)
    cfg = compose_config([*TINY, override])  # the config itself is valid: only this machine refuses it
    with pytest.raises(ConfigError) as error:
        check_can_run(cfg)
    assert error.value.key == key and words in error.value.problem, str(error.value)
    assert len(str(error.value).splitlines()) == 1


@pytest.mark.parametrize("name", ["25-A", "my_run", "'ejecución-2'", "a.b+c"])
def test_plain_run_names_are_accepted(tiny_config, name):
    assert tiny_config(f"run_name={name}").run_name == name.strip("'")


def test_a_file_as_out_dir_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is not a directory"):
        check_out_dir(str(tmp_path / "file"))
    check_out_dir(str(tmp_path / "new" / "deeper"))  # creatable: fine, and nothing is created
    assert not (tmp_path / "new").exists()


def test_the_memory_estimate_counts_every_parameter_of_the_model_with_the_agreement_vocabulary(tiny_config):
    cfg = tiny_config()
    model = build_model(cfg, len(make_splits(cfg.data, cfg.seed).vocab))
    n_params = sum(p.numel() for p in model.parameters())
    L, T = cfg.model.n_layer, cfg.data.block_size
    assert estimate_memory(cfg).model == n_params * 4 * 4 + L * T * T  # float32 weights, grads, 2 AdamW moments


def test_the_memory_estimate_grows_with_every_size(tiny_config):
    base = estimate_memory(tiny_config()).total
    for override in ["model.n_layer=8", "model.n_embd=128", "data.block_size=24", "data.n_train=4096",
                     "data.n_eval=4096", "train.batch_size=128"]:
        assert estimate_memory(tiny_config(override)).total > base, override


def test_a_thousand_layers_fit_here_but_get_a_note_before_building(tiny_config):
    cfg = load_config([*TINY, "model.n_layer=1000", "model.n_embd=64", "train.batch_size=64"])
    assert "building it may take a while" in memory_note(cfg)
    assert memory_note(tiny_config()) is None


def test_the_silent_save_on_cpu_experiment_runs_on_the_cpu_where_it_is_silent():
    cfg = compose_config(["experiment=silent_save_on_cpu"])
    assert cfg.device == "cpu" and cfg.saved_tensors == "save_on_cpu" and cfg.inplace
