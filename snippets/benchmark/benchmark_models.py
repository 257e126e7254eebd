"""The five recurrent models of the long-range benchmark, at comparable parameter counts.

Every model is one fused PyTorch layer (nn.RNN, nn.LSTM or nn.GRU) followed by a linear
read-out applied at every step. Hidden sizes are chosen so that the five models have
about the same number of parameters: an LSTM unit carries four weight sets, a GRU unit
three and a vanilla unit one, so the vanilla networks get about twice as many units.

  tanh RNN         nn.RNN with tanh, PyTorch's default initialisation (trained with
                   gradient-norm clipping)
  tanh RNN, orth.  the same with an orthogonal recurrent matrix (a control: the same
                   network with a gradient that vanishes far more slowly)
  IRNN             nn.RNN with ReLU, recurrent matrix = identity, zero biases and
                   small input weights (Le, Jaitly & Hinton 2015)
  LSTM             nn.LSTM, default initialisation (Hochreiter & Schmidhuber 1997,
                   with the forget gate of Gers et al. 2000)
  GRU              nn.GRU, default initialisation (Cho et al. 2014)

Run: python benchmark_models.py   (prints the parameter counts for both tasks)
"""

import torch
from torch import nn

# --8<-- [start:models]
KINDS = ("tanh", "tanh_orth", "irnn", "lstm", "gru")
LABELS = {
    "tanh": "tanh RNN",
    "tanh_orth": "tanh RNN, orthogonal W_hh",
    "irnn": "IRNN",
    "lstm": "LSTM",
    "gru": "GRU",
}
HIDDEN = {"tanh": 66, "tanh_orth": 66, "irnn": 66, "lstm": 32, "gru": 37}
IRNN_INPUT_STD = 0.001  # Le et al.'s small input weights


def positive_int(value: int, name: str) -> int:
    """Return value after checking it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class Recurrent(nn.Module):
    """One recurrent layer and a linear read-out of every hidden state."""

    def __init__(self, kind: str, n_in: int, n_out: int, hidden: int | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.kind, self.n_in = kind, positive_int(n_in, "n_in")
        hidden = positive_int(HIDDEN[kind] if hidden is None else hidden, "hidden")
        if kind == "lstm":
            self.rnn = nn.LSTM(n_in, hidden, batch_first=True)
        elif kind == "gru":
            self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        else:
            activation = "relu" if kind == "irnn" else "tanh"
            self.rnn = nn.RNN(n_in, hidden, nonlinearity=activation, batch_first=True)
        if kind == "irnn":
            identity_init(self.rnn)
        if kind == "tanh_orth":
            with torch.no_grad():
                nn.init.orthogonal_(self.rnn.weight_hh_l0)
        self.readout = nn.Linear(hidden, positive_int(n_out, "n_out"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (batch, steps, n_in) -> outputs (batch, steps, n_out), one per step."""
        if x.ndim != 3 or x.shape[-1] != self.n_in:
            shape = tuple(x.shape)
            raise ValueError(f"x must have shape (batch, steps, {self.n_in}), got {shape}")
        states, _ = self.rnn(x)
        return self.readout(states)


def identity_init(rnn: nn.RNN) -> None:
    """IRNN start: W_hh = I, b = 0, W_xh ~ N(0, 0.001^2)."""
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.eye(rnn.hidden_size))
        rnn.bias_hh_l0.zero_()
        rnn.bias_ih_l0.zero_()
        rnn.weight_ih_l0.normal_(0.0, IRNN_INPUT_STD)


# --8<-- [end:models]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


TASK_SIZES = {"adding": (2, 1), "copy": (10, 9)}  # (inputs, outputs) per step


if __name__ == "__main__":
    torch.manual_seed(0)
    print("Parameters per model (recurrent layer + read-out):")
    print(f"  {'model':16s} {'units':>5s} {'adding':>7s} {'copy':>7s}")
    for kind in KINDS:
        counts = [count_parameters(Recurrent(kind, *TASK_SIZES[task])) for task in TASK_SIZES]
        print(f"  {LABELS[kind]:16s} {HIDDEN[kind]:5d} {counts[0]:7,d} {counts[1]:7,d}")
    irnn = Recurrent("irnn", 2, 1)
    print("\nIRNN at initialisation:")
    print(f"  W_hh is the identity: {torch.equal(irnn.rnn.weight_hh_l0, torch.eye(66))}")
    print(f"  largest |W_xh| entry: {irnn.rnn.weight_ih_l0.abs().max().item():.4f}")
