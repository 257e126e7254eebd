"""A gradient-health monitor that drops into an ordinary PyTorch training loop.

Copy this one file into your project. Once per optimizer step it records the loss, the
global gradient norm (all parameters' gradients as one vector: the number
torch.nn.utils.clip_grad_norm_ returns, measured before any clipping) and any NaN/Inf.
Every PROBE_EVERY optimizer steps it also records the per-step norms ||dL/dh_t||,
t = 1..T, of the recurrent layer's hidden states, read by tensor hooks during the
ordinary loss.backward(): no second backward pass. diagnose() names what it sees
(exploding, vanishing or healthy), with the evidence and the first aid.

    monitor = GradMonitor(model)            # finds the model's nn.RNN / nn.LSTM / nn.GRU
    for x, y in batches:
        optimizer.zero_grad()
        with monitor.probe():               # on probe steps: the layer runs unrolled
            loss = loss_fn(model(x), y)
        loss.backward()                     # hooks on every h_t record ||dL/dh_t||
        monitor.record(loss)                # after backward, BEFORE clipping and step
        optimizer.step()
    print(monitor.diagnose())

Mixed precision: pass the GradScaler, GradMonitor(model, scaler=scaler), and call
record() after scaler.unscale_(optimizer) and before scaler.update(): the monitor then
reads unscaled gradients, and a step the scaler skips (its gradient overflowed the loss
scale) is counted as skipped, not as an explosion. Gradient accumulation: run probe()
and backward() for each micro-batch and record() once per optimizer step; the per-step
norms are those of the whole batch.

Why unroll: a fused nn.RNN/LSTM/GRU computes all T states inside one kernel, so the
gradient of its output tensor holds only each h_t's direct effect on the loss, not its
effect through h_{t+1}, h_{t+2}, ... On probe steps, probe() replaces the layer's
forward by the same recurrence written step by step with the same parameters (unrolled
below); that forward and its backward ARE the training step, and every h_t is a tensor
in the graph whose hook receives the total gradient.

Run: python grad_monitor.py   (checks the hooks against a float64 reference for the three
cells, prints the symptom table, writes grad_monitor_table.md)

Taught in docs/diagnosis.md; run by snippets/diagnosis/grad_monitor.py.
"""

import math
import statistics
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

# --8<-- [start:thresholds]
# Exploding: one step's gradient norm is more than SPIKE_FACTOR times the median of the
# WINDOW steps before it. Chosen on this chapter's runs (monitor_runs.py prints them, its
# test checks them): the largest jump of every healthy run stays more than three times
# below SPIKE_FACTOR, and every exploding run jumps more than three times above it.
SPIKE_FACTOR = 100.0
WINDOW = 20
MIN_WINDOW = 5  # no spike test before this many steps of history
# Vanishing: ||dL/dh_1|| / ||dL/dh_T|| (median of the last RECENT_PROBES probes) below
# VANISHING_RATIO while the loss is stuck. In the vanishing-gradients chapter the recall
# task was learned with a ratio of 8e-3 at initialisation (T = 10) and stayed at the
# baseline with 9e-5 (T = 20); 1e-3 lies between the two. A small ratio in a run whose loss
# has fallen is no disease (crawl.py: Adam solves T = 20 and the ratio stays tiny), so the
# rule also asks that the median loss of the last WINDOW steps be above STUCK_FRACTION
# times that of the first WINDOW steps.
VANISHING_RATIO = 1e-3
STUCK_FRACTION = 0.5
RECENT_PROBES = 5
PROBE_EVERY = 10
# A GradScaler skips every step whose scaled gradient overflowed and halves its scale.
# A step skipped at a scale of at most SKIP_SCALE overflowed without any scaling: that is
# not the scaler searching for its scale, it is an explosion.
SKIP_SCALE = 1.0
# --8<-- [end:thresholds]


# --8<-- [start:table]
@dataclass(frozen=True)
class Symptom:
    """One row of the table: what you see, why, how to confirm it, what to do first."""

    seen: str
    cause: str
    confirm: str
    first_aid: str


SYMPTOMS = {
    "exploding": Symptom(
        seen="The loss jumps by orders of magnitude, then turns `inf` or `nan`",
        cause="Exploding gradients: a product of recurrent Jacobians grows",
        confirm="The global gradient norm spikes far above its recent median, or is not finite",
        first_aid="Clip the global gradient norm (`clip_grad_norm_`, start near the typical "
        "norm of a healthy stretch); lower the learning rate tenfold; start the recurrent "
        "matrix below the edge (for tanh, singular values at most 1)",
    ),
    "vanishing": Symptom(
        seen="The loss stays at the baseline; long-range targets are not learned",
        cause="Vanishing gradients: early steps receive almost no gradient",
        confirm="The gradient norm at the first step of the sequence is orders of magnitude "
        "below the last, while the loss does not move",
        first_aid="Orthogonal or identity recurrent initialisation with small input weights; "
        "shorter gradient paths (skip connections); a gated cell (LSTM, GRU); with plain SGD, "
        "try Adam and tune its rate. Not clipping, not a higher SGD learning rate",
    ),
    "slow": Symptom(
        seen="The loss falls, but very slowly",
        cause="Either a learning rate that is too small, or vanishing gradients",
        confirm="Measure the early-to-late gradient ratio: healthy means the learning rate, "
        "tiny means vanishing",
        first_aid="Raise the learning rate only if the ratio is healthy; otherwise treat as "
        "vanishing (a higher learning rate scales the early and the late part of the update "
        "alike)",
    ),
    "recency": Symptom(
        seen="The training loss looks fine, but predictions ignore distant inputs",
        cause="The loss is dominated by short-range targets; long-range ones are not learned",
        confirm="Score the long-range targets on their own; probe the gradient ratio with "
        "their loss alone",
        first_aid="As for vanishing gradients; in the end a gated cell or attention",
    ),
    "healthy": Symptom(
        seen="The loss falls steadily; no spikes",
        cause="Nothing in the gradients",
        confirm="Gradient norm without spikes; early-to-late ratio well above the threshold",
        first_aid="Nothing to fix in the gradients; check the long-range targets on their own",
    ),
}
# --8<-- [end:table]

Recurrent = nn.RNN | nn.LSTM | nn.GRU


def check_layer(rnn: nn.Module) -> None:
    """Raise unless rnn is an nn.RNN, nn.LSTM or nn.GRU that unrolled() can reproduce."""
    if not isinstance(rnn, Recurrent):
        raise TypeError(f"expected an nn.RNN, nn.LSTM or nn.GRU, got {type(rnn).__name__}")
    if rnn.bidirectional or getattr(rnn, "proj_size", 0):
        raise ValueError("bidirectional layers and LSTM projections are not supported")


# --8<-- [start:unrolled]
def cell_step(
    rnn: Recurrent, layer: int, gx: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One time step of layer `layer`, given gx = W_ih x_t + b_ih; PyTorch's equations."""
    gh = nn.functional.linear(
        h, getattr(rnn, f"weight_hh_l{layer}"), getattr(rnn, f"bias_hh_l{layer}", None)
    )
    if rnn.mode == "LSTM":
        i, f, g, o = (gx + gh).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if rnn.mode == "GRU":
        (x_r, x_u, x_n), (h_r, h_u, h_n) = gx.chunk(3, dim=-1), gh.chunk(3, dim=-1)
        r, u = torch.sigmoid(x_r + h_r), torch.sigmoid(x_u + h_u)  # r_t, u_t (PyTorch: z_t)
        candidate = torch.tanh(x_n + r * h_n)  # the candidate state (PyTorch: n_t)
        return (1 - u) * candidate + u * h, None
    z = gx + gh  # the pre-activation z_t
    return (torch.tanh(z) if rnn.mode == "RNN_TANH" else torch.relu(z)), None


def unrolled(
    rnn: Recurrent, x: torch.Tensor, hx: torch.Tensor | tuple | None = None
) -> tuple[torch.Tensor, torch.Tensor | tuple, list[torch.Tensor]]:
    """rnn(x, hx) computed step by step: (output, h_n or (h_n, c_n), layer 0's [h_1..h_T])."""
    check_layer(rnn)
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        raise ValueError("unrolled() needs a batched input tensor (3 dimensions)")
    seq = x.transpose(0, 1) if rnn.batch_first else x  # (T, batch, input)
    lstm = rnn.mode == "LSTM"
    if hx is None:
        zeros = seq.new_zeros(rnn.num_layers, seq.shape[1], rnn.hidden_size)
        hx = (zeros, zeros) if lstm else zeros
    h0, c0 = hx if lstm else (hx, None)
    layer_input, last_h, last_c, first_states = seq, [], [], []
    for layer in range(rnn.num_layers):
        gx = nn.functional.linear(  # the input part of every step at once
            layer_input,
            getattr(rnn, f"weight_ih_l{layer}"),
            getattr(rnn, f"bias_ih_l{layer}", None),
        )
        h, c, states = h0[layer], c0[layer] if lstm else None, []
        for t in range(seq.shape[0]):
            h, c = cell_step(rnn, layer, gx[t], h, c)
            states.append(h)
        first_states = first_states or states
        last_h.append(h)
        last_c.append(c)
        layer_input = torch.stack(states)
        if layer < rnn.num_layers - 1 and rnn.dropout > 0:
            layer_input = nn.functional.dropout(layer_input, rnn.dropout, rnn.training)
    output = layer_input.transpose(0, 1) if rnn.batch_first else layer_input
    h_n = torch.stack(last_h)
    return output, ((h_n, torch.stack(last_c)) if lstm else h_n), first_states


# --8<-- [end:unrolled]


def check_recurrent(states: list[torch.Tensor]) -> None:
    """Raise unless h_T was computed from h_{T-1} (a walk up the graph, no backward pass)."""
    if isinstance(states, torch.Tensor):
        raise TypeError(
            "states must be a list [h_1, ..., h_T], not one tensor; the output tensor of a "
            "fused nn.RNN/LSTM/GRU carries only direct gradients: use probe() instead"
        )
    if not isinstance(states, list | tuple) or len(states) < 2:
        raise ValueError("states must be a list of at least two hidden states h_1..h_T")
    if not all(isinstance(h, torch.Tensor) and h.requires_grad for h in states):
        raise ValueError("every state must be a tensor in the autograd graph (requires_grad)")
    target, seen = states[-2].grad_fn, set()
    todo = [f for f, _ in states[-1].grad_fn.next_functions if f is not None]
    while todo and target not in seen:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(f for f, _ in node.next_functions if f is not None)
    if target not in seen:
        raise ValueError(
            "h_T does not depend on h_{T-1}: these are not the states of a recurrence "
            "(a model without recurrent state, or the slices of a fused layer's output); "
            "use probe(), or unroll your cell step by step"
        )


def the_recurrent_layer(model: nn.Module) -> Recurrent | None:
    """The model's only nn.RNN/LSTM/GRU; None if it has none; an error if it has several."""
    found = [m for m in model.modules() if isinstance(m, Recurrent)]
    if len(found) > 1:
        raise ValueError(f"the model has {len(found)} recurrent layers: pass rnn=<the one>")
    return found[0] if found else None


@dataclass(frozen=True)
class Diagnosis:
    """What the monitor concluded, why, and what to try first."""

    name: str  # "exploding", "vanishing" or "healthy"
    evidence: str
    first_aid: str

    def __str__(self) -> str:
        return f"{self.name}: {self.evidence}.\n  First aid: {self.first_aid}."


# --8<-- [start:monitor]
@dataclass
class GradMonitor:
    """Per optimizer step: loss, gradient norm, NaN/Inf; on probe steps ||dL/dh_t||."""

    model: nn.Module
    scaler: torch.amp.GradScaler | None = None
    probe_every: int = PROBE_EVERY
    rnn: Recurrent | None = None  # default: the model's only nn.RNN/LSTM/GRU
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # unscaled, before clipping
    probes: dict[int, torch.Tensor] = field(default_factory=dict)  # step -> ||dL/dh_t||
    skipped: list[int] = field(default_factory=list)  # steps the loss scaler skipped
    nonfinite_at: int | None = None  # first step with a NaN/Inf loss or gradient
    nonfinite_params: list[str] = field(default_factory=list)
    pending: torch.Tensor | None = None  # sum of ||dL/dh_t||^2 over this step's backwards

    def __post_init__(self) -> None:
        if not isinstance(self.model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(self.model).__name__}")
        if isinstance(self.probe_every, bool) or not isinstance(self.probe_every, int):
            raise TypeError("probe_every must be a positive integer")
        if self.probe_every < 1:
            raise ValueError(f"probe_every must be at least 1, got {self.probe_every}")
        self.rnn = self.rnn if self.rnn is not None else the_recurrent_layer(self.model)
        if self.rnn is not None:
            check_layer(self.rnn)

    def wants_time_steps(self) -> bool:
        """True on probe steps: the first step, then probe_every steps after the last probe."""
        return not self.probes or len(self.losses) - max(self.probes) >= self.probe_every

    @contextmanager
    def probe(self):
        """Around the forward pass: on probe steps the layer runs unrolled, hooks on h_t."""
        if self.rnn is None or not self.wants_time_steps():
            yield
            return

        def forward(x: torch.Tensor, hx: torch.Tensor | tuple | None = None):
            output, h_n, states = unrolled(self.rnn, x, hx)
            self.track(states)
            return output, h_n

        self.rnn.forward = forward  # this instance only, until the block ends
        try:
            yield
        finally:
            del self.rnn.forward

    def track(self, states: list[torch.Tensor]) -> None:
        """Hook h_1..h_T (a list you unrolled yourself) so that backward() records them."""
        if not self.wants_time_steps():
            return
        check_recurrent(states)
        if self.pending is None:
            self.pending = torch.zeros(len(states), dtype=torch.float64)
        if len(self.pending) != len(states):
            raise ValueError("all micro-batches of one optimizer step need the same length T")
        for t, h in enumerate(states):
            h.register_hook(lambda grad, t=t: self.add(t, grad))

    def add(self, t: int, grad: torch.Tensor) -> None:
        """Called by autograd with the total dL/dh_t: add its squared norm."""
        self.pending[t] += grad.detach().double().pow(2).sum()

    def record(self, loss: torch.Tensor | float) -> float:
        """Close one optimizer step; call after backward (and unscale_), before the step."""
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            loss = loss.item()
        if isinstance(loss, bool) or not isinstance(loss, int | float):
            raise ValueError("loss must be a scalar tensor or a number: reduce it first")
        named = [(n, p.grad) for n, p in self.model.named_parameters() if p.grad is not None]
        if not named:
            raise ValueError("no parameter has a gradient: call record() after loss.backward()")
        norm = torch.nn.utils.get_total_norm([g for _, g in named]).item()
        step, scale = len(self.losses), 1.0
        if self.scaler is not None and self.scaler.is_enabled():
            scale = self.scaler.get_scale()  # the scale this step's backward used
        pending, self.pending = self.pending, None
        self.losses.append(float(loss))
        finite = math.isfinite(loss) and math.isfinite(norm)
        if not finite and math.isfinite(loss) and scale > SKIP_SCALE:
            self.skipped.append(step)  # the scaler skips this step and lowers its scale
            self.grad_norms.append(math.nan)
            return math.nan
        self.grad_norms.append(norm)
        if pending is not None:
            self.probes[step] = pending.sqrt() / scale
        if self.nonfinite_at is None and not finite:
            self.nonfinite_at = step
            self.nonfinite_params = [n for n, g in named if not torch.isfinite(g).all()]
        return norm

    # --8<-- [end:monitor]
    # --8<-- [start:rules]
    def jumps(self) -> list[tuple[int, float]]:
        """(step, norm / median of the WINDOW finite norms before it), for every finite step."""
        found = []
        for step in range(MIN_WINDOW, len(self.grad_norms)):
            before = [g for g in self.grad_norms[max(0, step - WINDOW) : step] if math.isfinite(g)]
            norm = self.grad_norms[step]
            if len(before) >= MIN_WINDOW and math.isfinite(norm):
                found.append((step, norm / max(statistics.median(before), 1e-30)))
        return found

    def largest_jump(self) -> tuple[int, float]:
        """The step whose norm most exceeds its recent median, and by what factor."""
        return max(self.jumps(), key=lambda jump: jump[1], default=(-1, 0.0))

    def first_spike(self) -> tuple[int, float] | None:
        """The first step whose norm exceeds SPIKE_FACTOR times its recent median, if any."""
        return next(((s, f) for s, f in self.jumps() if f > SPIKE_FACTOR), None)

    def early_to_late(self) -> float | None:
        """Median of ||dL/dh_1|| / ||dL/dh_T|| over the last RECENT_PROBES probes."""
        recent = [self.probes[s] for s in sorted(self.probes)[-RECENT_PROBES:]]
        ratios = [(n[0] / n[-1]).item() for n in recent if n[-1] > 0]
        return statistics.median(ratios) if ratios else None

    def loss_is_stuck(self) -> bool:
        """True unless the recent median loss fell below STUCK_FRACTION of the first one."""
        finite = [loss for loss in self.losses if math.isfinite(loss)]
        width = max(1, min(WINDOW, len(finite) // 2))  # two windows that do not overlap
        first, last = finite[:width], finite[-width:]
        return bool(finite) and statistics.median(last) > STUCK_FRACTION * statistics.median(first)

    def diagnose(self) -> Diagnosis:
        """Exploding (spike or NaN/Inf) before vanishing (small early/late ratio) before healthy."""
        if not self.losses:
            raise ValueError("nothing recorded yet: call record() once per optimizer step")
        ratio, spike = self.early_to_late(), self.first_spike()
        skips = f"; {len(self.skipped)} steps skipped by the loss scaler" * bool(self.skipped)
        if spike is not None or self.nonfinite_at is not None:
            found = []
            if spike is not None:
                step, factor = spike
                found.append(
                    f"the gradient norm jumped to {self.grad_norms[step]:.2g} at step {step}, "
                    f"{factor:.3g}x the median of the steps before"
                )
            if self.nonfinite_at is not None:
                names = self.nonfinite_params
                where = ", ".join(names[:2]) + (f" and {len(names) - 2} more" * (len(names) > 2))
                found.append(f"NaN/Inf at step {self.nonfinite_at} in {where or 'the loss'}")
            return Diagnosis("exploding", "; ".join(found) + skips, SYMPTOMS["exploding"].first_aid)
        stuck = self.loss_is_stuck()
        if ratio is not None and ratio < VANISHING_RATIO and stuck:
            evidence = (
                f"||dL/dh_1|| / ||dL/dh_T|| = {ratio:.1e}, below {VANISHING_RATIO:.0e}, "
                "and the loss is stuck"
            )
            return Diagnosis("vanishing", evidence + skips, SYMPTOMS["vanishing"].first_aid)
        checked = "not measured" if ratio is None else f"{ratio:.2g}"
        if ratio is not None and ratio < VANISHING_RATIO:
            checked += " (small, but the loss fell)"
        _, jump = self.largest_jump()
        evidence = f"largest jump {jump:.3g}x the recent median; early/late ratio {checked}"
        return Diagnosis("healthy", evidence + skips, SYMPTOMS["healthy"].first_aid)

    # --8<-- [end:rules]


def table_markdown() -> str:
    """The symptom table as Markdown, one row per entry of SYMPTOMS."""
    lines = [
        "| What you see | Likely cause | How to confirm it | First aid |",
        "|---|---|---|---|",
    ]
    for row in SYMPTOMS.values():
        lines.append(f"| {row.seen} | {row.cause} | {row.confirm} | {row.first_aid} |")
    return "\n".join(lines) + "\n"


# --8<-- [start:check]
def reference_norms(rnn: Recurrent, x: torch.Tensor, readout: nn.Linear) -> torch.Tensor:
    """||dL/dh_t|| of layer 0 by another route: torch's own cells and autograd.grad."""
    cell_type = {"LSTM": nn.LSTMCell, "GRU": nn.GRUCell}.get(rnn.mode, nn.RNNCell)
    options = {"nonlinearity": rnn.nonlinearity} if cell_type is nn.RNNCell else {}
    cell = cell_type(rnn.input_size, rnn.hidden_size, **options).to(x.dtype)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        setattr(cell, name, getattr(rnn, f"{name}_l0"))  # the same parameters
    h = c = x.new_zeros(x.shape[0], rnn.hidden_size)
    states = []
    for t in range(x.shape[1]):
        h, c = cell(x[:, t], (h, c)) if cell_type is nn.LSTMCell else (cell(x[:, t], h), None)
        states.append(h)
    loss = readout(states[-1]).pow(2).mean()
    return torch.stack([g.norm() for g in torch.autograd.grad(loss, states)])


def hooked_norms(rnn: Recurrent, x: torch.Tensor, readout: nn.Linear) -> torch.Tensor:
    """The same norms as the monitor records them, during an ordinary backward()."""
    model = nn.ModuleDict({"rnn": rnn, "readout": readout})
    monitor = GradMonitor(model)
    with monitor.probe():
        output, _ = rnn(x)
    readout(output[:, -1]).pow(2).mean().backward()
    monitor.record(0.0)
    model.zero_grad()
    return monitor.probes[0]


# --8<-- [end:check]
