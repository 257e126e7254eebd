"""The four recurrent models of the long-range benchmark, at comparable parameter counts.

Every model maps a sequence of inputs to an output at every step. The PyTorch models are
one fused layer (nn.RNN, nn.LSTM or nn.GRU) and a linear read-out; the LRU is the linear
recurrence of the chapter on linear recurrences (lru.py), one block. Sizes are chosen so
that the models have about the same number of parameters: an LSTM unit carries four
weight sets, a GRU unit three and a vanilla unit one, so the tanh RNN gets about twice as
many units as the LSTM.

  tanh RNN   nn.RNN with tanh, PyTorch's default initialisation (trained with
             gradient-norm clipping)
  LSTM       nn.LSTM, default initialisation (Hochreiter & Schmidhuber 1997, with the
             forget gate of Gers et al. 2000)
  GRU        nn.GRU, default initialisation (Cho et al. 2014)
  LRU        a diagonal linear recurrence with eigenvalues on a ring just inside the unit
             circle, and a nonlinear read-out (Orvieto et al. 2023)

Run: python benchmark_models.py   (prints the parameter counts for both tasks)

Taught in docs/benchmark.md; run by snippets/benchmark/benchmark_models.py.
"""

import torch
from torch import nn

from rnnbook.lru import LRUModel, size_for_parameters

# --8<-- [start:models]
KINDS = ("tanh", "lstm", "gru", "lru")
LABELS = {"tanh": "tanh RNN", "lstm": "LSTM", "gru": "GRU", "lru": "LRU"}
HIDDEN = {"tanh": 66, "lstm": 32, "gru": 37}  # units; the LRU is sized by parameter count
LRU_LAYERS = 1


def positive_int(value: int, name: str) -> int:
    """Return value after checking it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class Recurrent(nn.Module):
    """One recurrent layer and a linear read-out of every hidden state."""

    def __init__(self, kind: str, n_in: int, n_out: int, hidden: int | None = None) -> None:
        super().__init__()
        if kind not in KINDS or kind == "lru":
            raise ValueError(f"unknown model kind {kind!r}; choose one of tanh, lstm, gru")
        self.kind, self.n_in = kind, positive_int(n_in, "n_in")
        hidden = positive_int(HIDDEN[kind] if hidden is None else hidden, "hidden")
        self.rnn: nn.RNNBase
        if kind == "lstm":
            self.rnn = nn.LSTM(n_in, hidden, batch_first=True)
        elif kind == "gru":
            self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        else:
            self.rnn = nn.RNN(n_in, hidden, nonlinearity="tanh", batch_first=True)
        self.readout = nn.Linear(hidden, positive_int(n_out, "n_out"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (batch, steps, n_in) -> outputs (batch, steps, n_out), one per step."""
        if x.ndim != 3 or x.shape[-1] != self.n_in:
            shape = tuple(x.shape)
            raise ValueError(f"x must have shape (batch, steps, {self.n_in}), got {shape}")
        states, _ = self.rnn(x)
        return self.readout(states)


def make_model(kind: str, n_in: int, n_out: int) -> nn.Module:
    """A freshly initialised model of one kind, sized like the others (about the same count
    of parameters as the tanh RNN on the same task)."""
    if kind != "lru":
        return Recurrent(kind, n_in, n_out)
    target = count_parameters(Recurrent("tanh", n_in, n_out))
    width, state = size_for_parameters(target, n_in, n_out, layers=LRU_LAYERS)
    return LRUModel(n_in, n_out, width, state, layers=LRU_LAYERS)


# --8<-- [end:models]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in the model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


TASK_SIZES = {"adding": (2, 1), "copy": (10, 9)}  # (inputs, outputs) per step
