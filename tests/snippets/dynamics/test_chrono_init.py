"""Chrono initialisation: the biases it sets, the time scales they mean, what training shows."""

import math

import chrono_init as ci
import numpy as np
import pytest
import torch
from support import generated_values
from torch import nn

from rnnbook.adding import adding_batch


def test_chrono_sets_forget_and_input_biases_and_nothing_else():
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 8, num_layers=2)
    before = {k: v.clone() for k, v in lstm.state_dict().items()}
    ci.chrono_init_(lstm, 50, torch.Generator().manual_seed(1))
    H = 8
    for layer in range(2):
        b_ih, b_hh = lstm.state_dict()[f"bias_ih_l{layer}"], lstm.state_dict()[f"bias_hh_l{layer}"]
        b_f, b_i = b_ih[H : 2 * H], b_ih[:H]
        assert torch.all((b_f >= 0) & (b_f <= math.log(49)))
        assert torch.equal(b_i, -b_f)
        assert torch.all(b_hh[: 2 * H] == 0)
        assert torch.equal(b_ih[2 * H :], before[f"bias_ih_l{layer}"][2 * H :])  # g and o kept
        assert torch.equal(b_hh[2 * H :], before[f"bias_hh_l{layer}"][2 * H :])
    for key, value in lstm.state_dict().items():
        if "weight" in key:
            assert torch.equal(value, before[key])


def test_forget_bias_log_u_gives_time_scale_one_plus_u():
    for u in (1.0, 2.0, 9.0, 49.0):
        f = torch.sigmoid(torch.tensor(math.log(u), dtype=torch.float64)).item()
        assert f == pytest.approx(u / (1 + u), rel=1e-15)
        assert 1 / (1 - f) == pytest.approx(1 + u, rel=1e-12)
        assert abs(-1 / math.log(f) - (1 / (1 - f) - 0.5)) < 0.1  # tau close to 1/(1-f) - 1/2


def test_both_inits_share_every_weight_but_the_gate_biases():
    a, b = ci.Adder("default", 3), ci.Adder("chrono", 3)
    for (key, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        if key.startswith("lstm.bias"):
            H = ci.HIDDEN
            assert torch.equal(x[2 * H :], y[2 * H :]) and not torch.equal(x[: 2 * H], y[: 2 * H])
        else:
            assert torch.equal(x, y)


def test_at_initialisation_chrono_keeps_and_the_default_forgets():
    x = torch.from_numpy(adding_batch(np.random.default_rng(0), 64, ci.LENGTH)[0])
    default = ci.forget_gates(ci.Adder("default", 0), x).mean(dim=(0, 1))
    chrono = ci.forget_gates(ci.Adder("chrono", 0), x).mean(dim=(0, 1))
    assert default.median() < 0.6 and chrono.median() > 0.9
    assert chrono.min() > default.max()


def test_training_claims_over_five_seeds():
    values = generated_values("dynamics/chrono_init")
    assert values["seeds"] == 5 and values["budget"] == ci.BUDGET
    assert values["chrono_solved"] >= 4  # chrono solves (nearly) every seed ...
    assert values["chrono_solved"] > values["default_solved"]  # ... more than the default
    assert values["chrono_median"] <= ci.BUDGET - 150  # ... and well within the budget
    if values["default_solved"]:
        assert values["chrono_median"] < values["default_median"]


def test_one_step_of_training_runs_and_records_nothing_before_the_first_test():
    run = ci.train("chrono", 0, budget=ci.EVAL_EVERY)
    assert run["solved_at"] is None and len(run["curve"]) == 1


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match=r"needs an nn\.LSTM"):
        ci.chrono_init_(nn.GRU(2, 4), 10)
    with pytest.raises(ValueError, match="t_max must be a number > 2"):
        ci.chrono_init_(nn.LSTM(2, 4), 2)
    with pytest.raises(ValueError, match="no biases"):
        ci.chrono_init_(nn.LSTM(2, 4, bias=False), 10)
    with pytest.raises(ValueError, match="init must be one of"):
        ci.Adder("orthogonal", 0)
