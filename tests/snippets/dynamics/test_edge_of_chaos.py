"""The edge of chaos: the critical scale moves with the input scale; mean field agrees."""

import edge_of_chaos as ec
import explorer_reference  # the demo: what the page runs
import numpy as np
import pytest
from support import generated_output, generated_values

from rnnbook import lyapunov as ly


@pytest.fixture(scope="module")
def values():
    return generated_values("dynamics/edge_of_chaos")


def test_without_input_the_edge_is_at_one(values):
    assert abs(values["sc_none"] - 1.0) <= 0.05
    assert float(ec.mean_field_critical_scale(0.0)) == pytest.approx(1.0, abs=1e-6)


def test_inputs_move_the_edge_well_above_one(values):
    line = [values["sc_none"], values["sc_third"], values["sc_one"], values["sc_two"]]
    assert line == sorted(line) and line[1] > 1.3 and line[3] > 2.2
    assert np.all(np.diff(ec.mean_field_critical_scale(np.linspace(0, 2, 9))) > 0)


def test_mean_field_predicts_the_measured_edge(values):
    assert abs(values["sc_third"] - values["mf_third"]) < 0.05
    assert abs(values["sc_two"] - values["mf_two"]) < 0.15
    assert values["growth_gap"] < 0.05  # mu_1 against log(s sqrt(<phi'^2>)) on the same runs


def test_the_explorer_crossing_sits_on_the_measured_line(values):
    assert values["explorer"] == explorer_reference.crossing("tanh", seed=ec.EXPLORER_SEED)
    assert abs(values["explorer"] - values["sc_third"]) < 0.1


def test_grid_is_the_qr_method_of_lyapunov_py():
    """An ordered setting (no chaos, so no amplified rounding): the batched run agrees."""
    mu, _ = ec.mu1_grid(np.array([0.8]), [1.0], hidden=16, steps=300, seed=2)
    W, drive, h0 = ly.network(0.8, 1.0, hidden=16, steps=ec.BURN_IN + 300, seed=2)
    reference = ly.lyapunov_exponents(ly.tanh_jacobians(W, drive, h0), burn_in=ec.BURN_IN)
    assert mu[0, 0] == pytest.approx(reference[0], abs=1e-10)


def test_mean_field_rate_is_log_s_without_input_below_one():
    s = np.array([0.3, 0.6, 0.9])
    np.testing.assert_allclose(ec.mean_field_rate(s, 0.0), np.log(s), atol=1e-12)
    q = float(ec.mean_field_variance(2.0, 0.5))
    assert q == pytest.approx(
        4.0 * np.mean(np.tanh(np.sqrt(q) * np.random.default_rng(0).standard_normal(10**6)) ** 2)
        + 0.25,
        rel=2e-3,
    )


def test_crossing_interpolates_the_first_sign_change():
    s = np.array([1.0, 1.1, 1.2, 1.3])
    assert ec.crossing(s, np.array([-0.2, -0.1, 0.1, 0.3])) == pytest.approx(1.15)
    assert ec.crossing(s, np.array([-0.2, -0.1, -0.05, -0.01])) is None


def test_printed_table_and_page_table_agree(values):
    text = generated_output("dynamics/edge_of_chaos")
    assert "mu_1 <= log s everywhere: True" in text
    assert f"    1/3   {values['sc_third']:.2f} (" in text


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="steps must be >= 1"):
        ec.mu1_grid(np.array([1.0]), [0.0], steps=0)
