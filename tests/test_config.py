"""validate(): every rule the schema cannot express, one ConfigError (key, problem, allowed) each."""

import pytest

from minigpt.cli.common import load_config
from minigpt.config import (AGREEMENT_VOCAB_SIZE, ConfigError, check_out_dir, estimate_memory, memory_note)
from minigpt.data import AGREEMENT_VOCAB
from tests.conftest import TINY

REFUSED = [  # (override, the key named, words of the problem)
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
    ("out_dir=/proc", "out_dir", "not writable"),
    ("out_dir=/etc/hostname/x", "out_dir", "not a directory"),
    ("data.path=notes.txt", "data.path", "data=agreement does not read files"),
    ("data.block_size=1000000", "data.block_size", "GiB available"),
    ("model.n_layer=1000000", "model.n_layer", "GiB available"),
    ("train.batch_size=100000000", "train.batch_size", "GiB available"),
]


@pytest.mark.parametrize("override, key, words", REFUSED, ids=[o for o, _, _ in REFUSED])
def test_each_rule_raises_one_config_error_naming_the_key(tmp_path, monkeypatch, override, key, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        from minigpt.lab.compose import compose_config
        compose_config([*TINY, override])
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


def test_the_memory_estimate_counts_the_agreement_vocabulary():
    assert AGREEMENT_VOCAB_SIZE == len(AGREEMENT_VOCAB)


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
    from minigpt.lab.compose import compose_config

    cfg = compose_config(["experiment=silent_save_on_cpu"])
    assert cfg.device == "cpu" and cfg.saved_tensors == "save_on_cpu" and cfg.inplace
