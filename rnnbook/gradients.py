"""Every per-timestep gradient norm ||dL/dh_t|| from ONE backward pass, in PyTorch.

Use it in your own diagnostics:

    cell = cell_from_rnn(rnn)                 # or any nn.RNNCell / your own cell
    states = unroll(cell, x)                  # [h_1, ..., h_T], each (batch, hidden)
    loss = loss_fn(readout(states[-1]), y)    # any scalar built from the states
    norms = per_step_grad_norms(loss, states) # tensor (T,): ||dL/dh_1||, ..., ||dL/dh_T||

API (kept small; other chapters import it):
    unroll(cell, x, h0=None) -> list[Tensor]
        x is batch-first, (batch, T, input). cell(x_t, h) -> h_new, e.g. nn.RNNCell.
        Returns the states h_1..h_T; each stays in the autograd graph.
    per_step_grad_norms(loss, states) -> Tensor of shape (T,)
        The TOTAL derivative dL/dh_t (through every later step), one torch.autograd.grad
        call for all t; the norm is taken over batch and hidden together. Does not touch
        .grad of any parameter; the graph is kept (retain_graph=True), so you can still
        call loss.backward() afterwards.
    per_step_grad_norms_loop(loss, states) -> Tensor of shape (T,)
        The same numbers from T separate autograd.grad calls: only for checking and
        benchmarking the one-pass version.
    cell_from_rnn(rnn) -> nn.RNNCell
        A cell whose parameters ARE a one-layer, batch-first nn.RNN's (shared, not copied:
        it stays in sync after optimizer steps, and backward through it fills rnn's .grad).

Why not use nn.RNN's output tensor directly: the fused kernel returns all states at once,
so the gradient with respect to that output tensor holds only each h_t's DIRECT effect on
the loss, not its effect through h_{t+1}, h_{t+2}, ...; unrolling a cell keeps every h_t
in the graph as a real input of the next step.

Run: python step_grads.py   (also writes step_grads.json, the values the page quotes)

Taught in docs/vanishing.md; run by snippets/vanishing/step_grads.py.
"""

import torch
from torch import nn


# --8<-- [start:unroll]
def unroll(
    cell: nn.Module,
    x: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> list[torch.Tensor]:
    """Apply cell step by step to x (batch, T, input); return [h_1, ..., h_T]."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] == 0:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (batch, T, input), T >= 1; got {got}")
    if not torch.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    if h0 is None:
        hidden_size = getattr(cell, "hidden_size", None)
        if hidden_size is None:
            raise TypeError("cell has no hidden_size attribute: pass h0")
        h0 = x.new_zeros(x.shape[0], hidden_size)
    h, states = h0, []
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
        states.append(h)
    return states


# --8<-- [end:unroll]


def check_loss_and_states(loss: torch.Tensor, states: list[torch.Tensor]) -> None:
    """Raise a clear error unless loss is a scalar and states a non-empty list in its graph."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss must be a scalar tensor, got {shape}: reduce it (e.g. .mean())")
    if not isinstance(states, list | tuple) or len(states) == 0:
        raise ValueError("states must be a non-empty list of hidden-state tensors h_1..h_T")
    if not all(isinstance(h, torch.Tensor) and h.requires_grad for h in states):
        raise ValueError(
            "every state must be a tensor that requires grad: build them with unroll() "
            "from a cell with trainable weights (and not under torch.no_grad())"
        )


# --8<-- [start:one_pass]
def per_step_grad_norms(
    loss: torch.Tensor,
    states: list[torch.Tensor],
) -> torch.Tensor:
    """||dL/dh_t|| for t = 1..T from a single backward pass through the graph."""
    check_loss_and_states(loss, states)
    grads = torch.autograd.grad(
        loss,
        states,
        retain_graph=True,  # so that the caller can still call loss.backward()
        allow_unused=True,
    )
    zero = loss.new_zeros(())  # for a state the loss does not depend on
    return torch.stack([zero if g is None else g.norm() for g in grads]).detach()


# --8<-- [end:one_pass]


def per_step_grad_norms_loop(loss: torch.Tensor, states: list[torch.Tensor]) -> torch.Tensor:
    """The same norms from T separate backward passes (slow; for checks and benchmarks)."""
    check_loss_and_states(loss, states)
    norms = []
    for h in states:
        (g,) = torch.autograd.grad(loss, h, retain_graph=True, allow_unused=True)
        norms.append(g.norm() if g is not None else loss.new_zeros(()))
    return torch.stack(norms).detach()


def cell_from_rnn(rnn: nn.RNN) -> nn.RNNCell:
    """An nn.RNNCell that shares (not copies) a one-layer, batch-first nn.RNN's weights."""
    if not isinstance(rnn, nn.RNN):
        raise TypeError(f"expected an nn.RNN, got {type(rnn).__name__}")
    if rnn.num_layers != 1 or rnn.bidirectional or not rnn.batch_first:
        raise ValueError("cell_from_rnn needs nn.RNN(..., num_layers=1, batch_first=True)")
    cell = nn.RNNCell(rnn.input_size, rnn.hidden_size, bias=rnn.bias, nonlinearity=rnn.nonlinearity)
    # The same Parameter objects: the cell stays equal to the RNN after optimizer steps, and
    # loss.backward() through the unrolled states fills the RNN's own .grad.
    cell.weight_ih = rnn.get_parameter("weight_ih_l0")
    cell.weight_hh = rnn.get_parameter("weight_hh_l0")
    if rnn.bias:
        cell.bias_ih = rnn.get_parameter("bias_ih_l0")
        cell.bias_hh = rnn.get_parameter("bias_hh_l0")
    return cell
