"""The QR method for Lyapunov exponents: against the direct product, linear networks, bounds."""

import numpy as np
import pytest
from support import expected_output, generated_values

from rnnbook import lyapunov as ly


@pytest.mark.parametrize("name", list(ly.EXAMPLES))
def test_qr_equals_the_direct_product_while_it_is_finite(name):
    s, sx = ly.EXAMPLES[name]
    W, drive, h0 = ly.network(s, sx, steps=300)
    direct = ly.direct_log_norms(ly.tanh_jacobians(W, drive, h0), ly.start_vector(ly.HIDDEN))
    qr = np.cumsum(ly.stretch_logs(ly.tanh_jacobians(W, drive, h0))[:, 0])
    assert np.all(np.isfinite(direct))
    np.testing.assert_allclose(qr, direct, rtol=1e-9, atol=1e-9)


def test_the_direct_product_gives_up_where_qr_does_not():
    for name, sign in (("contracting", -1), ("expanding", +1)):
        s, sx = ly.EXAMPLES[name]
        W, drive, h0 = ly.network(s, sx, steps=3000)
        direct = ly.direct_log_norms(ly.tanh_jacobians(W, drive, h0), ly.start_vector(ly.HIDDEN))
        qr = ly.stretch_logs(ly.tanh_jacobians(W, drive, h0))[:, 0]
        assert direct[-1] == sign * np.inf
        assert np.all(np.isfinite(qr)) and np.sign(qr.mean()) == sign


def test_linear_network_exponents_are_the_log_moduli_of_the_eigenvalues():
    W, mu, log_eig = ly.linear_check()
    assert np.max(np.abs(mu - log_eig)) < 2e-3  # O(1/T) after 4000 steps
    assert mu[0] < np.log(np.linalg.norm(W, 2)) - 0.2  # the rate is log rho, not log sigma_max


def test_scaled_orthogonal_linear_network_has_every_exponent_log_s():
    Q = ly.orthogonal(6, np.random.default_rng(0))
    mu = ly.lyapunov_exponents((0.7 * Q for _ in range(50)), k=6)
    np.testing.assert_allclose(mu, np.log(0.7), atol=1e-12)


@pytest.mark.parametrize(("s", "sx"), [(0.5, 0.0), (1.5, 0.5), (3.0, 2.0)])
def test_tanh_rate_never_beats_log_s(s, sx):
    W, drive, h0 = ly.network(s, sx, steps=400)
    mu = ly.lyapunov_exponents(ly.tanh_jacobians(W, drive, h0), burn_in=100)[0]
    assert mu <= np.log(s) + 1e-12


def test_largest_row_norm_is_the_spectral_norm_for_scaled_orthogonal_w():
    W, drive, h0 = ly.network(2.0, 1.0, steps=20)
    for J in ly.tanh_jacobians(W, drive, h0):
        assert np.linalg.norm(J, axis=1).max() == pytest.approx(np.linalg.norm(J, 2), rel=1e-12)


def test_printed_output_makes_the_page_claims():
    text = expected_output("dynamics/lyapunov")
    rows = [ln.split() for ln in text.splitlines() if ln.split() and ln.split()[0].isdigit()]
    by_t = {}
    for row in rows:
        by_t.setdefault(int(row[0]), []).append(row[1:3])
    for T in (10, 100):  # finite: both ways agree
        assert all(a.split("{")[0] == b.split("{")[0] for a, b in by_t[T])
    assert by_t[1000][0][0] == "-inf" and by_t[3000][1][0] == "+inf"
    assert "(not the rate)" in text
    # the mean of the logs (mu_1) is below the log of the mean, and far below the norm bound
    for block in text.split("steps after")[1:]:
        values = [float(ln.split()[-1].split("{")[0]) for ln in block.splitlines()[1:5]]
        mu1, log_mean, norm_bound, log_s = values
        assert mu1 < log_mean < norm_bound + 1e-9 and norm_bound <= log_s + 1e-9
        assert norm_bound - mu1 > 0.3


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="square"):
        list(ly.tanh_jacobians(np.ones((2, 3)), np.zeros((4, 2)), np.zeros(2)))
    with pytest.raises(ValueError, match="drive must be"):
        list(ly.tanh_jacobians(np.eye(2), np.zeros((4, 3)), np.zeros(2)))
    with pytest.raises(ValueError, match="scale must be finite"):
        ly.network(-1.0, 0.5)
    with pytest.raises(TypeError, match="hidden must be an integer"):
        ly.network(1.0, 0.5, hidden=2.5)
    with pytest.raises(ValueError, match="k = 5 exponents need k <= H = 4"):
        ly.lyapunov_exponents([np.eye(4)], k=5)
    with pytest.raises(ValueError, match="no Jacobians left"):
        ly.lyapunov_exponents([np.eye(4)] * 3, burn_in=3)


def test_the_direct_product_is_right_until_the_float_gives_up():
    values = generated_values("dynamics/lyapunov")
    s, sx = ly.EXAMPLES["contracting"]
    W, drive, h0 = ly.network(s, sx, steps=1000)
    direct = ly.direct_log_norms(ly.tanh_jacobians(W, drive, h0), ly.start_vector(ly.HIDDEN))
    qr = np.cumsum(ly.stretch_logs(ly.tanh_jacobians(W, drive, h0))[:, 0])
    gave_up = values["contracting_gave_up"]
    normal = qr > np.log(np.finfo(float).tiny)  # above 2.2e-308, doubles keep all their digits
    np.testing.assert_allclose(direct[normal], qr[normal], rtol=1e-9)
    assert np.all(np.isfinite(direct[: gave_up - 1])) and np.all(direct[gave_up - 1 :] == -np.inf)
    assert qr[gave_up - 1] < np.log(np.finfo(float).tiny) - 20  # deep in the subnormal range
