"""The generated agreement task and the text-file task."""

import torch
import torch.nn.functional as F

from minigpt.config import GPTConfig
from minigpt.data import AGREEMENT_VOCAB, IGNORE, NOUNS, STEMS, agreement_splits, text_splits
from minigpt.model import GPT

RULE_WORDS = {"es", "son", "-o", "-a", "-os", "-as"}


def words(ids):
    return [AGREEMENT_VOCAB[i] for i in ids]


def test_agreement_data_is_the_same_for_the_same_seed_and_differs_across_seeds():
    a, b, c = agreement_splits(200, 50, 12, 0), agreement_splits(200, 50, 12, 0), agreement_splits(200, 50, 12, 1)
    assert torch.equal(a.train_x, b.train_x) and not torch.equal(a.train_x, c.train_x)


def test_test_accuracy_scores_the_copula_and_the_adjective_ending_of_each_sentence():
    splits = agreement_splits(200, 50, 12, 0)
    assert (splits.test_mask.sum(1) == 2).all()
    assert set(words(splits.test_y[splits.test_mask].tolist())) <= RULE_WORDS


def test_copula_and_ending_agree_with_the_head_noun_not_the_distractor():
    splits = agreement_splits(200, 50, 12, 0)
    for row in splits.test_x:
        sentence = words(row.tolist())
        head_det = sentence[0]  # el / la / los / las
        plural = head_det in {"los", "las"}
        copula = next(w for w in sentence if w in {"es", "son"})
        ending = next(w for w in sentence if w.startswith("-"))
        assert copula == ("son" if plural else "es")
        assert ending == {"el": "-o", "la": "-a", "los": "-os", "las": "-as"}[head_det]


def test_test_sentences_use_combinations_never_seen_in_training():
    lemma_of = {form: lemma for lemma, (_, plural) in NOUNS.items() for form in (lemma, plural)}

    def triples(x):  # (head lemma, distractor lemma, stem) of each sentence
        found = set()
        for row in x.tolist():
            sentence = words(row)
            distractor = next(w for w in sentence[3:6] if w in lemma_of)
            found.add((lemma_of[sentence[1]], lemma_of[distractor], next(w for w in sentence if w in STEMS)))
        return found

    splits = agreement_splits(2000, 500, 12, 0)
    assert triples(splits.train_x).isdisjoint(triples(splits.test_x))


def test_padding_targets_are_ignored_by_the_loss():
    splits = agreement_splits(50, 10, 12, 0)
    x, y = splits.train_x, splits.train_y
    assert (y == IGNORE).any() and not (x == IGNORE).any()  # padding is in the targets only
    torch.manual_seed(0)
    logits, loss = GPT(GPTConfig(len(splits.vocab), 12, n_layer=1, n_head=2, n_embd=8))(x, y)
    kept = y != IGNORE
    torch.testing.assert_close(loss, F.cross_entropy(logits[kept], y[kept]))  # the mean over real targets only


def test_text_mode_reads_characters_of_any_file(tmp_path):
    path = tmp_path / "poema.txt"
    path.write_text("caminante, no hay camino, se hace camino al andar. " * 20, encoding="utf-8")
    splits = text_splits(path, block_size=8)
    assert "ñ" not in splits.vocab and " " in splits.vocab
    assert splits.train_x.shape[1] == 8
    assert torch.equal(splits.train_x[0, 1:], splits.train_y[0, :-1])  # targets are inputs shifted by one
