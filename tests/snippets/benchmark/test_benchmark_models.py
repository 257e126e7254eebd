"""The five benchmark models: parameter counts, shapes, initialisation, devices, bad input."""

import benchmark_models as bm
import pytest
import torch
from support import expected_output


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest, and reproducibly, on one thread (as the snippets do)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def expected_count(kind: str, n_in: int, n_out: int) -> int:
    """Parameters by formula: gates x H x (n_in + H + 2 biases), plus the read-out."""
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    h = bm.HIDDEN[kind]
    return gates * h * (n_in + h + 2) + (h + 1) * n_out


@pytest.mark.parametrize("task", list(bm.TASK_SIZES))
def test_parameter_counts_match_the_formula_and_each_other(task):
    n_in, n_out = bm.TASK_SIZES[task]
    counts = {k: bm.count_parameters(bm.Recurrent(k, n_in, n_out)) for k in bm.KINDS}
    assert counts == {k: expected_count(k, n_in, n_out) for k in bm.KINDS}
    assert max(counts.values()) / min(counts.values()) < 1.04  # within 4% of each other


def test_printed_parameter_table():
    text = expected_output("benchmark/benchmark_models")
    for kind in bm.KINDS:
        adding, copy = (expected_count(kind, *bm.TASK_SIZES[t]) for t in ("adding", "copy"))
        assert f"{bm.LABELS[kind]:16s} {bm.HIDDEN[kind]:5d} {adding:7,d} {copy:7,d}" in text
    assert "W_hh is the identity: True" in text


@pytest.mark.parametrize("kind", bm.KINDS)
def test_one_output_per_step(kind):
    model = bm.Recurrent(kind, 10, 9)
    out = model(torch.zeros(3, 7, 10))
    assert out.shape == (3, 7, 9)


def test_layers_and_activations():
    assert isinstance(bm.Recurrent("lstm", 2, 1).rnn, torch.nn.LSTM)
    assert isinstance(bm.Recurrent("gru", 2, 1).rnn, torch.nn.GRU)
    assert bm.Recurrent("tanh", 2, 1).rnn.nonlinearity == "tanh"
    assert bm.Recurrent("tanh_clip", 2, 1).rnn.nonlinearity == "tanh"
    assert bm.Recurrent("irnn", 2, 1).rnn.nonlinearity == "relu"


def test_irnn_starts_at_identity_with_small_inputs():
    torch.manual_seed(0)
    rnn = bm.Recurrent("irnn", 2, 1).rnn
    assert torch.equal(rnn.weight_hh_l0, torch.eye(66))
    assert not rnn.bias_hh_l0.any() and not rnn.bias_ih_l0.any()
    assert rnn.weight_ih_l0.std().item() == pytest.approx(bm.IRNN_INPUT_STD, rel=0.2)
    # With no input, a ReLU step through the identity keeps a non-negative state unchanged.
    h = torch.rand(1, 1, 66)
    _, h_next = rnn(torch.zeros(1, 1, 2), h)
    assert torch.allclose(h_next, h)


def test_default_initialisation_is_pytorchs():
    """tanh RNN, LSTM and GRU keep PyTorch's U(-1/sqrt(H), 1/sqrt(H)) initialisation."""
    torch.manual_seed(0)
    for kind in ("tanh", "lstm", "gru"):
        rnn = bm.Recurrent(kind, 2, 1).rnn
        bound = rnn.hidden_size**-0.5
        for p in rnn.parameters():
            assert p.abs().max().item() <= bound
            assert p.abs().max().item() > 0.9 * bound


def test_same_seed_same_weights():
    torch.manual_seed(5)
    a = bm.Recurrent("gru", 2, 1)
    torch.manual_seed(5)
    b = bm.Recurrent("gru", 2, 1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_runs_on_the_gpu():
    model = bm.Recurrent("lstm", 2, 1).to("cuda")
    assert model(torch.zeros(2, 5, 2, device="cuda")).device.type == "cuda"


def test_model_follows_its_device():
    model = bm.Recurrent("gru", 2, 1).to("meta")
    out = model(torch.zeros(2, 5, 2, device="meta"))
    assert out.device.type == "meta" and out.shape == (2, 5, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bm.Recurrent("elman", 2, 1), "unknown model kind 'elman'"),
        (lambda: bm.Recurrent("lstm", 0, 1), "n_in must be a positive integer"),
        (lambda: bm.Recurrent("lstm", 2, 1.5), "n_out must be a positive integer"),
        (lambda: bm.Recurrent("lstm", 2, 1, hidden=0), "hidden must be a positive integer"),
        (lambda: bm.Recurrent("gru", 2, 1)(torch.zeros(4, 2)), r"shape \(batch, steps, 2\)"),
        (lambda: bm.Recurrent("gru", 2, 1)(torch.zeros(4, 5, 3)), r"got \(4, 5, 3\)"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
