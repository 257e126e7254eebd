"""The explorer's Python reference: checked against independent NumPy computations.

The browser test (tests/browser/test_explorer.py) then checks that explorer.js gives the same
numbers as this module; here we check that this module computes the right thing.
"""

import math

import explorer_reference  # the demo: what the page runs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import expected_output

from rnnbook import explorer as er

# Configurations whose norms stay inside the range of a double (for plain NumPy checks).
ORDINARY = [
    dict(activation="tanh", scale=0.9, hidden=8, steps=40, seed=3),
    dict(activation="tanh", scale=1.3, hidden=16, steps=60, seed=7),
    dict(activation="sigmoid", scale=1.5, hidden=5, steps=30, seed=0),
    dict(activation="relu", scale=1.6, hidden=12, steps=50, seed=11),
    dict(activation="linear", scale=0.7, hidden=4, steps=80, seed=2**32 - 1),
    *explorer_reference.CONFIGURATIONS.values(),
]


# ----------------------------------------------------------------------- random numbers


def to_int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 2**32 if v >= 2**31 else v


def imul(a: int, b: int) -> int:
    """JavaScript's Math.imul: the low 32 bits of the product, as a signed integer."""
    return to_int32(to_int32(a) * to_int32(b))


def ushr(a: int, n: int) -> int:
    """JavaScript's a >>> n."""
    return (a & 0xFFFFFFFF) >> n


def mulberry32_as_in_javascript(seed: int):
    """The canonical JavaScript mulberry32, translated operator by operator (signed int32)."""
    a = to_int32(seed)

    def step() -> int:
        nonlocal a
        a = to_int32(a + 0x6D2B79F5)
        t = imul(a ^ ushr(a, 15), 1 | a)
        t = to_int32(to_int32(t + imul(t ^ ushr(t, 7), 61 | t)) ^ t)
        return ushr(t ^ ushr(t, 14), 0)

    return step


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1, 2**31, 2**32 - 1])
def test_generator_is_the_javascript_mulberry32(seed):
    ours, theirs = er.mulberry32(seed), mulberry32_as_in_javascript(seed)
    assert [ours() for _ in range(2000)] == [theirs() for _ in range(2000)]


def test_uniforms_are_exact_multiples_of_two_to_the_minus_31_in_range():
    u = er.uniforms(er.mulberry32(5), 100_000)
    assert u.min() >= -1.0 and u.max() < 1.0
    assert np.all(u * 2**31 == np.round(u * 2**31))
    assert abs(u.mean()) < 0.01 and u.var() == pytest.approx(1 / 3, rel=0.02)


def test_inputs_for_fewer_steps_are_a_prefix_of_the_longest_sequence():
    """explorer.js draws x for T = 200 once and uses its first T rows; this is why that works."""
    short = er.run("tanh", 1.0, 8, 30, 9)
    long = er.run("tanh", 1.0, 8, 200, 9)
    assert np.array_equal(short["x"], long["x"][:30])
    assert np.array_equal(short["h"], long["h"][:30])


# ----------------------------------------------------------------------- activations


def test_exp_tanh_sigmoid_agree_with_numpy_to_a_few_ulp():
    z = np.concatenate([np.linspace(-30, 30, 20_001), [0.0, 1e-300, -1e-12, 5e-9, 19.99, 20.0]])
    assert np.allclose(er.tanh(z), np.tanh(z), rtol=1e-15, atol=0)
    assert np.allclose(er.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    y = np.linspace(-700, 700, 20_001)
    assert np.allclose(er.exp(y), np.exp(y), rtol=1e-15, atol=0)
    small = np.geomspace(1e-20, 0.3, 200)
    assert np.allclose(er.expm1(small), np.expm1(small), rtol=1e-15, atol=0)
    assert np.allclose(er.expm1(-small), np.expm1(-small), rtol=1e-15, atol=0)


def test_activations_exact_values_and_slopes():
    assert er.tanh(np.array([0.0, 25.0, -25.0])).tolist() == [0.0, 1.0, -1.0]
    assert er.sigmoid(np.array([0.0])).tolist() == [0.5]
    z = np.linspace(-8, 8, 1001)
    for activation, reference, gamma in [
        ("tanh", np.tanh, 1.0),
        ("sigmoid", lambda v: 1 / (1 + np.exp(-v)), 0.25),
        ("relu", lambda v: np.maximum(v, 0), 1.0),
        ("linear", lambda v: v, 1.0),
    ]:
        _, slope = er.activate(activation, z)
        numeric = (reference(z + 1e-6) - reference(z - 1e-6)) / 2e-6
        away_from_kink = np.abs(z) > 1e-3
        assert np.allclose(slope[away_from_kink], numeric[away_from_kink], atol=1e-8)
        assert slope.max() <= er.GAMMA[activation] == gamma  # |φ'| ≤ γ: the bound's γ


# ----------------------------------------------------------------------- weights


@pytest.mark.parametrize("hidden", [2, 3, 17, 64])
@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_every_singular_value_of_W_is_the_scale(hidden, seed):
    scale = 1.37
    W = er.run("linear", scale, hidden, 2, seed)["W"]
    sigma = np.linalg.svd(W, compute_uv=False)
    assert np.allclose(sigma, scale, rtol=1e-14, atol=0)
    assert np.allclose(W.T @ W, scale**2 * np.eye(hidden), atol=1e-14)


def test_orthonormalise_spans_the_same_columns_as_numpy_qr():
    A = er.uniforms(er.mulberry32(4), 36).reshape(6, 6)
    Q = er.orthonormalise(A)
    Q_np, _ = np.linalg.qr(A)
    # Same column spaces, column by column: Gram–Schmidt and Householder QR agree up to sign.
    assert np.allclose(np.abs(np.sum(Q * Q_np, axis=0)), 1.0, atol=1e-12)


# ----------------------------------------------------------------------- forward and backward


def numpy_forward(activation, W, U, x):
    """The forward pass in the most direct NumPy: matrix products and NumPy's functions."""
    phi = {
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "relu": lambda z: np.maximum(z, 0),
        "linear": lambda z: z,
    }[activation]
    h, zs = np.zeros(W.shape[0]), []
    for x_t in x:
        z = W @ h + U @ x_t
        zs.append(z)
        h = phi(z)
    return np.array(zs)


def jacobian_norms(activation, W, zs):
    """‖(J_T ⋯ J_{t+1})ᵀ ∂L/∂h_T‖ for t = 1..T with J_t = diag(φ'(z_t)) W, as explicit matrices."""
    slope = {
        "tanh": lambda z: 1 - np.tanh(z) ** 2,
        "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
        "relu": lambda z: (z > 0).astype(float),
        "linear": np.ones_like,
    }[activation]
    H, T = W.shape[0], len(zs)
    g_last = np.ones(H) / np.sqrt(H)
    product, norms = np.eye(H), [np.linalg.norm(g_last)]
    for t in range(T - 1, 0, -1):  # 0-based index of z_{t+1}
        product = product @ (np.diag(slope(zs[t])) @ W)
        norms.append(np.linalg.norm(product.T @ g_last))
    return np.array(norms[::-1])


@pytest.mark.parametrize("params", ORDINARY, ids=lambda p: "-".join(map(str, p.values())))
def test_forward_states_follow_the_recurrence(params):
    """Each h_t is φ(W h_{t−1} + U x_t) of the reference's own h_{t−1} (no chaos can amplify)."""
    r = er.run(**params)
    previous = np.vstack([np.zeros(params["hidden"]), r["h"][:-1]])
    for t in range(params["steps"]):
        z = r["W"] @ previous[t] + r["U"] @ r["x"][t]
        h, slope = er.activate(params["activation"], z)
        assert np.allclose(r["h"][t], h, rtol=1e-12, atol=1e-12 * np.abs(z).max())
        assert np.allclose(r["slopes"][t], slope, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("params", ORDINARY, ids=lambda p: "-".join(map(str, p.values())))
def test_gradient_norms_equal_explicit_jacobian_products(params):
    r = er.run(**params)
    previous = np.vstack([np.zeros(params["hidden"]), r["h"][:-1]])
    zs = previous @ r["W"].T + r["x"] @ r["U"].T  # z_t from the reference's own states
    expected = jacobian_norms(params["activation"], r["W"], zs)
    assert np.allclose(r["grad_norm"], expected, rtol=1e-9, atol=0)
    assert np.array_equal(np.ldexp(r["grad_mantissa"], r["grad_exponent"]), r["grad_norm"])


@pytest.mark.parametrize("params", ORDINARY[:5], ids=lambda p: "-".join(map(str, p.values())))
def test_whole_run_matches_plain_numpy_where_the_dynamics_are_not_chaotic(params):
    r = er.run(**params)
    zs = numpy_forward(params["activation"], r["W"], r["U"], r["x"])
    expected = jacobian_norms(params["activation"], r["W"], zs)
    assert np.allclose(r["grad_norm"], expected, rtol=1e-9, atol=0)


def test_gradients_far_below_the_double_range_are_still_exact():
    """Sigmoid at s = 0.1 over 200 steps: ‖∂L/∂h_1‖ is near 1e-321, below normal doubles."""
    params = dict(activation="sigmoid", scale=0.1, hidden=6, steps=200, seed=5)
    r = er.run(**params)
    assert r["grad_log10"][0] < -308  # beyond what a plain float norm could hold accurately
    # Independent: NumPy products, renormalised each step, logs of the factors summed.
    zs = numpy_forward("sigmoid", r["W"], r["U"], r["x"])
    g = np.ones(6) / np.sqrt(6)
    log_norm, expected = 0.0, [0.0]
    for t in range(199, 0, -1):
        s = 1 / (1 + np.exp(-zs[t]))
        g = r["W"].T @ (s * (1 - s) * g)
        n = np.linalg.norm(g)
        g, log_norm = g / n, log_norm + np.log10(n)
        expected.append(log_norm)
    # 1e-9 relative on the norm = 1e-9 / ln 10 absolute on its log10.
    assert np.allclose(r["grad_log10"], expected[::-1], rtol=0, atol=1e-9 / math.log(10))
    assert r["grad_log10"][0] < -320 and er.format_log10(r["grad_log10"][0]).endswith("e-322")


def test_a_switched_off_relu_layer_stops_the_gradient_exactly():
    r = er.run("relu", 1.0, 2, 200, 0)
    zero = np.isneginf(r["grad_log10"])
    k = int(zero.sum())
    assert k > 0 and zero[:k].all() and not zero[k:].any()
    assert np.all(r["slopes"][k] == 0)  # at step k+1 every unit was off
    assert np.all(r["grad_mantissa"][:k] == 0)


# ----------------------------------------------------------------------- the bound


@settings(max_examples=60, deadline=None)
@given(
    activation=st.sampled_from(er.ACTIVATIONS),
    scale=st.integers(10, 200).map(lambda k: k / 100),
    hidden=st.integers(2, 12),
    steps=st.integers(2, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_pascanu_bound_holds_for_every_setting(activation, scale, hidden, steps, seed):
    """‖∂L/∂h_t‖ ≤ (γ·σ_max)^(T−t)·‖∂L/∂h_T‖, because ‖diag(φ')‖ ≤ γ and ‖W‖ = σ_max = s."""
    r = er.run(activation, scale, hidden, steps, seed)
    finite = np.isfinite(r["grad_log10"])
    assert np.all(r["grad_log10"][finite] <= r["bound_log10"][finite] + 1e-12)
    power = (steps - r["t"]) * math.log10(er.GAMMA[activation] * scale)
    assert np.allclose(r["bound_log10"], power, rtol=0, atol=1e-11)


@pytest.mark.parametrize(
    ("scale", "hidden", "steps", "seed"), [(0.5, 16, 120, 8), (1.2, 32, 100, 1), (1.7, 3, 200, 0)]
)
def test_for_linear_the_bound_is_attained(scale, hidden, steps, seed):
    """W = s·Q: a linear network multiplies the gradient's norm by exactly s per step back."""
    r = er.run("linear", scale, hidden, steps, seed)
    assert np.allclose(r["grad_log10"], r["bound_log10"], rtol=0, atol=1e-12)


# ----------------------------------------------------------------------- what the page shows


def test_five_configurations_behave_as_named():
    rows = {row[0]: row for row in explorer_reference.summary_rows()}
    results = {name: er.run(**p) for name, p in explorer_reference.CONFIGURATIONS.items()}
    first = {name: r["grad_log10"][0] for name, r in results.items()}
    assert first["vanishing"] < -10 and first["sigmoid"] < -30 and first["ReLU"] < -10
    assert first["exploding"] > 3
    assert abs(first["borderline"]) < 1e-12
    # The bound forces vanishing where γ·s < 1 (tanh 0.9, sigmoid 2.0) and not elsewhere.
    assert results["vanishing"]["bound_log10"][0] < 0 and results["sigmoid"]["bound_log10"][0] < 0
    assert abs(results["ReLU"]["bound_log10"][0]) < 1e-12  # γ·s = 1: the bound allows ≤ 1
    # The figure's alt text and the page's "more than twenty orders of magnitude".
    assert [round(first[n]) for n in ("vanishing", "exploding", "sigmoid")] == [-12, 4, -38]
    assert first["ReLU"] < -15
    assert round(results["exploding"]["bound_log10"][0]) == 30
    assert round(results["sigmoid"]["bound_log10"][0]) == -30
    assert results["exploding"]["bound_log10"][0] - first["exploding"] > 20
    for name, r in results.items():
        assert rows[name][5] == er.format_log10(r["grad_log10"][0])
        assert rows[name][6] == f"{er.per_step_factor(r):.3f}"
        assert rows[name][3] == rows[name][4] == rows[name][2] + "00"  # σ_max = σ_min = s


@pytest.fixture(scope="module")
def crossings() -> dict[str, float]:
    return {activation: explorer_reference.crossing(activation) for activation in ("tanh", "relu")}


def test_relu_loses_about_half_its_units_and_crosses_near_root_two(crossings):
    off = explorer_reference.fraction_off(er.run(**explorer_reference.CONFIGURATIONS["ReLU"]))
    assert 0.45 < off < 0.55
    # Half the units off keeps ~1/√2 of the gradient per step, so growth needs s ≈ √2.
    assert abs(crossings["relu"] - math.sqrt(2)) < 0.1
    tanh = crossings["tanh"]
    assert 1.0 < tanh < 2.0
    assert er.run("tanh", tanh - 0.01, 32, 100, 1)["grad_log10"][0] < 0


def test_committed_output_holds_the_computed_numbers(crossings):
    text = expected_output("explorer/explorer_reference")
    for row in explorer_reference.summary_rows():
        line = next(ln for ln in text.splitlines() if ln.startswith(row[0] + " "))
        assert line.split() == row
    assert f"tanh: s = {crossings['tanh']:.2f}" in text
    assert f"relu: s = {crossings['relu']:.2f}" in text
    off = explorer_reference.fraction_off(er.run(**explorer_reference.CONFIGURATIONS["ReLU"]))
    assert f"ReLU at s = 1.00: {off:.1%} of units are switched off" in text
    for params in explorer_reference.CONFIGURATIONS.values():
        assert er.python_call(**params) in text


def test_python_call_round_trips():
    line = er.python_call("tanh", 1.1, 32, 100, 3)
    assert (
        line == 'explorer_reference.run(activation="tanh", scale=1.1, hidden=32, steps=100, seed=3)'
    )
    assert er.python_call("linear", 1.0, 2, 2, 0).count("scale=1.0,") == 1
    r = eval(line, {"explorer_reference": er})  # the line the explorer shows runs as printed
    assert r["grad_log10"].shape == (100,)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-3.6197887582883941, "2.40e-04"),
        (0.0, "1.00e+00"),
        (-math.inf, "0"),
        (0.9999999, "1.00e+01"),
    ],
)
def test_format_log10(value, text):
    assert er.format_log10(value) == text


# ----------------------------------------------------------------------- bad input

GOOD = dict(activation="tanh", scale=1.0, hidden=8, steps=10, seed=0)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"activation": "softmax"}, ValueError, "activation must be one of"),
        ({"activation": 3}, TypeError, "activation must be a string"),
        ({"scale": 0.05}, ValueError, r"scale must be in \[0.1, 2.0\]"),
        ({"scale": 2.5}, ValueError, "scale must be in"),
        ({"scale": math.nan}, ValueError, "scale must be in"),
        ({"scale": "1.0"}, TypeError, "scale must be a number"),
        ({"scale": True}, TypeError, "scale must be a number"),
        ({"hidden": 1}, ValueError, r"hidden must be in \[2, 64\]"),
        ({"hidden": 65}, ValueError, "hidden must be in"),
        ({"hidden": 8.0}, TypeError, "hidden must be an integer"),
        ({"steps": 1}, ValueError, r"steps must be in \[2, 200\]"),
        ({"steps": 201}, ValueError, "steps must be in"),
        ({"seed": -1}, ValueError, "seed must be in"),
        ({"seed": 2**32}, ValueError, "seed must be in"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"seed": False}, TypeError, "seed must be an integer"),
    ],
)
def test_bad_input_gets_a_clear_error(change, error, message):
    with pytest.raises(error, match=message):
        er.run(**{**GOOD, **change})


def test_numpy_integers_are_accepted():
    r = er.run("relu", np.float64(1.2), np.int64(4), np.int32(12), np.uint32(7))
    assert np.array_equal(r["grad_log10"], er.run("relu", 1.2, 4, 12, 7)["grad_log10"])
