"""Pixel-by-pixel digits: the data, the six models, and the results the build produced."""

import csv
import statistics

import numpy as np
import pixel_digits as pd
import pytest
import torch
from support import generated, generated_output, generated_values


@pytest.fixture(scope="module")
def splits():
    return {ordering: pd.pixel_sequences(ordering) for ordering in pd.ORDERINGS}


def test_split_sizes_and_shapes(splits):
    data = splits["in order"]
    assert data.x_train.shape == (1197, 64, 1) and data.x_val.shape == (300, 64, 1)
    assert data.x_test.shape == (300, 64, 1) and data.x_test.dtype == torch.float32
    labels = torch.cat([data.y_train, data.y_val, data.y_test])
    assert sorted(labels.bincount().tolist()) == sorted(np.bincount(pd.load_digits().target))
    # standardised with the training set's statistics
    assert abs(data.x_train.mean().item()) < 1e-5 and abs(data.x_train.std().item() - 1) < 1e-3


def test_permuted_is_one_fixed_reordering_of_the_same_images(splits):
    ordered, permuted = splits["in order"], splits["permuted"]
    order = np.random.default_rng(pd.PERMUTATION_SEED).permutation(64)
    assert sorted(order.tolist()) == list(range(64)) and order.tolist() != list(range(64))
    assert torch.equal(permuted.x_test, ordered.x_test[:, order])
    assert torch.equal(permuted.y_train, ordered.y_train)


def test_in_order_is_row_by_row():
    data = pd.pixel_sequences("in order")
    images = pd.load_digits().images  # (1797, 8, 8)
    rows = np.random.default_rng(pd.SPLIT_SEED).permutation(len(images))
    first = images[rows[0]].reshape(-1)  # row-major: 8 pixels of row 1, then row 2, ...
    mean = images[rows[: pd.TRAIN]].mean()
    std = images[rows[: pd.TRAIN]].std()
    assert np.allclose(data.x_train[0, :, 0].numpy(), (first - mean) / std, atol=1e-6)


def test_models_are_parameter_matched_and_initialised_as_stated():
    counts = {}
    for kind in pd.KINDS:
        torch.manual_seed(0)
        model = pd.Classifier(kind)
        counts[kind] = sum(p.numel() for p in model.parameters())
        assert model(torch.randn(3, 64, 1)).shape == (3, 10)
    assert max(counts.values()) / min(counts.values()) < 1.1, counts
    irnn = pd.Classifier("irnn").layer
    assert torch.equal(irnn.weight_hh_l0, torch.eye(pd.HIDDEN["irnn"]))
    assert irnn.nonlinearity == "relu" and irnn.weight_ih_l0.abs().max() < 0.01
    W = pd.Classifier("orthogonal").layer.weight_hh_l0
    assert torch.allclose(W @ W.T, torch.eye(len(W)), atol=1e-5)


def test_a_short_run_learns_something():
    data = pd.pixel_sequences("in order")
    run = pd.train_run("lstm", "in order", 0, data)
    assert run.epochs <= pd.EPOCHS and 0.0 <= run.test_accuracy <= 1.0
    assert run.validation_accuracy > 0.2  # well above guessing (0.1) after a few epochs


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pd.pixel_sequences("backwards"), "ordering"),
        (lambda: pd.Classifier("rnn"), "unknown model kind"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def runs() -> list[dict[str, str]]:
    with generated("linear/pixel_digits").with_suffix(".csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_has_one_row_per_run():
    rows = runs()
    assert len(rows) == len(pd.KINDS) * len(pd.ORDERINGS) * len(pd.SEEDS) == 60
    cells = {(r["model"], r["ordering"]) for r in rows}
    assert len(cells) == 12
    assert all(0 <= float(r["test_accuracy"]) <= 1 for r in rows)
    assert all(1 <= int(r["epochs"]) <= pd.EPOCHS for r in rows)


def test_table_medians_match_the_csv():
    values, rows = generated_values("linear/pixel_digits"), runs()
    for kind in pd.KINDS:
        for ordering in pd.ORDERINGS:
            found = [
                float(r["test_accuracy"])
                for r in rows
                if (r["model"], r["ordering"]) == (kind, ordering)
            ]
            key = f"{kind}_{ordering.replace(' ', '_')}"
            assert values[key] == pytest.approx(statistics.median(found), abs=0.006)
    assert "Test accuracy, median (range) over the seeds:" in generated_output(
        "linear/pixel_digits"
    )


def medians() -> dict[str, float]:
    values = generated_values("linear/pixel_digits")
    return {k: v for k, v in values.items() if k not in {"seeds", "runs"}}


def test_the_lru_leads_and_the_irnn_trails_in_both_orderings():
    m = medians()
    for ordering in ("in_order", "permuted"):
        others = [m[f"{k}_{ordering}"] for k in pd.KINDS if k != "lru"]
        assert m[f"lru_{ordering}"] > max(others), ordering
        rest = [m[f"{k}_{ordering}"] for k in pd.KINDS if k != "irnn"]
        assert m[f"irnn_{ordering}"] < min(rest), ordering


def test_orthogonal_start_helps_the_tanh_rnn():
    m = medians()
    for ordering in ("in_order", "permuted"):
        assert m[f"orthogonal_{ordering}"] > m[f"tanh_{ordering}"] + 0.02


def test_tanh_against_lstm_and_the_effect_of_permuting():
    m = medians()
    assert abs(m["tanh_in_order"] - m["lstm_in_order"]) <= 0.06  # "within a few hundredths"
    assert m["tanh_permuted"] > m["lstm_permuted"] + 0.04
    for kind in ("tanh", "orthogonal", "lstm"):
        assert m[f"{kind}_permuted"] > m[f"{kind}_in_order"] + 0.04, kind
    assert m["irnn_permuted"] < m["irnn_in_order"]


def test_every_model_learns_something():
    assert min(medians().values()) > 0.15  # guessing scores 0.1
