"""The data: a generated Spanish agreement task (default) and characters of any text file.

The agreement task needs attention. In "la casa que vio el perro es muy roj -a ." the copula
(es/son) and the adjective ending (-o/-a/-os/-as) agree with the head noun "casa", not with the
nearer distractor "perro". Only those two positions count towards test_accuracy.
"""

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from minigpt.config import ConfigError, DataKind

PAD = "<pad>"
IGNORE = -1  # target id that cross_entropy skips (padding)

NOUNS = {  # lemma -> (gender, plural)
    "perro": ("m", "perros"), "gato": ("m", "gatos"), "libro": ("m", "libros"),
    "coche": ("m", "coches"), "barco": ("m", "barcos"), "vaso": ("m", "vasos"),
    "casa": ("f", "casas"), "mesa": ("f", "mesas"), "silla": ("f", "sillas"),
    "puerta": ("f", "puertas"), "vaca": ("f", "vacas"), "taza": ("f", "tazas"),
}
DETERMINERS = {("m", False): "el", ("f", False): "la", ("m", True): "los", ("f", True): "las"}
ENDINGS = {("m", False): "-o", ("f", False): "-a", ("m", True): "-os", ("f", True): "-as"}
VERBS = ["vio", "compró", "pintó", "buscó"]
STEMS = ["roj", "blanc", "negr", "viej", "nuev", "bonit"]
AGREEMENT_VOCAB = ([PAD, ".", "que", "es", "son", "muy"] + sorted(DETERMINERS.values())
                   + sorted(n for lemma, (_, plural) in NOUNS.items() for n in (lemma, plural))
                   + VERBS + STEMS + sorted(ENDINGS.values()))
WORD_ID = {word: i for i, word in enumerate(AGREEMENT_VOCAB)}
HELD_OUT_FRACTION = 0.15  # of (head, distractor, stem) triples: test sentences are unseen combinations


@dataclass
class Splits:
    """Token ids of each split as (N, T) inputs and targets, and the positions test_accuracy scores."""

    vocab: list[str]
    train_x: torch.Tensor  # (N, T)
    train_y: torch.Tensor  # (N, T), IGNORE on padding
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    test_mask: torch.Tensor  # (N, T) bool: the positions that test the rule

    def batch(self, generator: torch.Generator, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A random training batch (B, T) drawn with the given generator."""
        idx = torch.randint(len(self.train_x), (batch_size,), generator=generator)
        return self.train_x[idx], self.train_y[idx]

    def to(self, device: torch.device) -> "Splits":
        """The same splits with every tensor on `device`."""
        return replace(self, **{f.name: getattr(self, f.name).to(device)
                                for f in fields(self) if f.name != "vocab"})


def make_splits(data_cfg: Any, seed: int) -> Splits:  # DataConfig, or its DictConfig
    """Build the splits the data config names; the same seed gives the same data."""
    if DataKind(data_cfg.kind) is DataKind.text:
        return text_splits(Path(data_cfg.path), data_cfg.block_size)
    return agreement_splits(data_cfg.n_train, data_cfg.n_eval, data_cfg.block_size, seed)


def agreement_sentences(n: int, triples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n sentences as token ids (n, 12), padded; (head lemma, distractor lemma, stem) from `triples`."""
    ids, lemmas = WORD_ID, list(NOUNS)
    gender = np.array([NOUNS[lemma][0] == "f" for lemma in lemmas], dtype=np.int64)  # 0 m, 1 f
    determiner, ending = gender_number_table(DETERMINERS), gender_number_table(ENDINGS)
    noun = np.array([[ids[lemma], ids[NOUNS[lemma][1]]] for lemma in lemmas])  # (lemma, plural)
    head, distractor, stem = triples[rng.integers(len(triples), size=n)].T
    head_plural, distractor_plural = (rng.random((2, n)) < 0.5).astype(np.int64)
    verb = np.array([ids[v] for v in VERBS])[rng.integers(len(VERBS), size=n)]
    verb_first, very = rng.random((2, n)) < 0.5
    distractor_det = determiner[gender[distractor], distractor_plural]
    distractor_noun = noun[distractor, distractor_plural]
    relative = np.where(verb_first[:, None], np.stack([verb, distractor_det, distractor_noun], 1),
                        np.stack([distractor_det, distractor_noun, verb], 1))
    predicate = np.stack([np.array([ids["es"], ids["son"]])[head_plural], np.full(n, ids["muy"]),
                          np.array([ids[s] for s in STEMS])[stem], ending[gender[head], head_plural],
                          np.full(n, ids["."]), np.full(n, ids[PAD])], 1)
    without_very = np.concatenate([predicate[:, :1], predicate[:, 2:], predicate[:, -1:]], 1)
    predicate = np.where(very[:, None], predicate, without_very)  # "muy" is optional: shifts the rule's position
    return np.concatenate([np.stack([determiner[gender[head], head_plural], noun[head, head_plural],
                                     np.full(n, ids["que"])], 1), relative, predicate], 1)


def gender_number_table(words: dict[tuple[str, bool], str]) -> np.ndarray:
    """Token ids indexed [gender (0 m, 1 f), plural (0, 1)]."""
    return np.array([[WORD_ID[words[(g, plural)]] for plural in (False, True)] for g in "mf"])


def agreement_splits(n_train: int, n_eval: int, block_size: int, seed: int) -> Splits:
    """Train on most (head, distractor, stem) combinations; validate and test on the held-out rest."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(np.arange(len(NOUNS)), np.arange(len(NOUNS)), np.arange(len(STEMS)),
                                indexing="ij"), axis=-1).reshape(-1, 3)
    order = rng.permutation(len(grid))
    n_held = int(len(grid) * HELD_OUT_FRACTION)
    held, seen = grid[order[:n_held]], grid[order[n_held:]]
    rule_targets = [WORD_ID[w] for w in ["es", "son", *ENDINGS.values()]]

    def encode(sentences: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if sentences.shape[1] > block_size + 1:
            raise ConfigError("data.block_size", f"{block_size} is too short for agreement sentences of "
                              f"{sentences.shape[1]} tokens", f"at least {sentences.shape[1] - 1}")
        seqs = np.full((len(sentences), block_size + 1), WORD_ID[PAD], dtype=np.int64)
        seqs[:, : sentences.shape[1]] = sentences
        x, y = torch.from_numpy(seqs[:, :-1]), torch.from_numpy(seqs[:, 1:]).clone()
        y[y == WORD_ID[PAD]] = IGNORE
        return x, y, torch.isin(y, torch.tensor(rule_targets))

    train_x, train_y, _ = encode(agreement_sentences(n_train, seen, rng))
    val_x, val_y, _ = encode(agreement_sentences(n_eval, held, rng))
    test_x, test_y, test_mask = encode(agreement_sentences(n_eval, held, rng))
    return Splits(AGREEMENT_VOCAB, train_x, train_y, val_x, val_y, test_x, test_y, test_mask)


TEXT_TRAIN_FRACTION = 0.9  # of a text file's characters; the rest is cut into validation and test windows


def text_too_short(n_chars: int, block_size: int) -> bool:
    """Whether a text of n_chars characters leaves a training window and two held-out windows of block_size+1."""
    n_train = int(n_chars * TEXT_TRAIN_FRACTION)
    return n_train < block_size + 1 or (n_chars - n_train) // (block_size + 1) < 2


def check_text_source(data_cfg: Any) -> None:
    """Raise ConfigError unless data=text names a UTF-8 file long enough for data.block_size (read in chunks)."""
    if DataKind(data_cfg.kind) is not DataKind.text:
        return
    path, block_size = Path(data_cfg.path), data_cfg.block_size
    if not path.is_file():
        raise ConfigError("data.path", f"no file at '{path}'", "a path to a readable text file")
    n_chars = 0
    try:
        with open(path, encoding="utf-8") as f:
            while chunk := f.read(2**20):
                n_chars += len(chunk)
    except UnicodeDecodeError:
        raise ConfigError("data.path", f"'{path}' is not UTF-8 text", "a UTF-8 text file") from None
    except OSError as e:
        raise ConfigError("data.path", f"'{path}' cannot be read ({e.strerror})", "a readable text file") from None
    if text_too_short(n_chars, block_size):
        raise ConfigError("data.path", f"'{path}' has {n_chars} characters, too few for data.block_size={block_size}",
                          f"a file of at least {20 * (block_size + 1)} characters")



def text_splits(path: Path, block_size: int) -> Splits:
    """Characters of a text file: the first 90% trains, the rest is cut into validation and test windows."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("data.path", f"'{path}' is not UTF-8 text", "a UTF-8 text file") from None
    vocab = sorted(set(text))
    index = {char: i for i, char in enumerate(vocab)}
    stream = torch.tensor([index[char] for char in text], dtype=torch.long)
    n_train = int(len(stream) * TEXT_TRAIN_FRACTION)
    held_windows = (len(stream) - n_train) // (block_size + 1)
    if text_too_short(len(stream), block_size):
        raise ConfigError("data.path", f"'{path}' has {len(stream)} characters, too few for "
                          f"data.block_size={block_size}", f"a file of at least {20 * (block_size + 1)} characters")
    train = stream[:n_train].unfold(0, block_size + 1, 1)  # every window, as a view
    held = stream[n_train: n_train + held_windows * (block_size + 1)].view(held_windows, block_size + 1)
    val, test = held[: held_windows // 2], held[held_windows // 2:]
    return Splits(vocab, train[:, :-1], train[:, 1:], val[:, :-1], val[:, 1:], test[:, :-1], test[:, 1:],
                  torch.ones_like(test[:, 1:], dtype=torch.bool))
