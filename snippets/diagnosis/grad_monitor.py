"""A gradient-health monitor for any PyTorch training loop: the symptom table as code.

Copy this file and step_grads.py (from the vanishing-gradients chapter) into your project.
Per training step the monitor records the loss, the global gradient norm (all parameters'
gradients as one vector: the number torch.nn.utils.clip_grad_norm_ returns, measured before
any clipping) and any NaN/Inf; on the steps you choose it also records the per-timestep
norms ||dL/dh_t|| from one backward pass. diagnose() names what it sees (exploding,
vanishing or healthy), with the evidence and the first aid from the table.

The call order inside one training step:

    states = unroll(cell, x)                # h_1..h_T, each in the graph (step_grads.unroll)
    loss = loss_fn(readout(states[-1]), y)  # a scalar
    if monitor.wants_time_steps():          # every PROBE_EVERY steps
        monitor.time_steps(loss, states)    # 1. BEFORE backward: it needs the graph
    optimizer.zero_grad()
    loss.backward()                         # 2. as usual
    monitor.record(loss, model)             # 3. after backward, BEFORE clipping and step
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)   # if you clip
    optimizer.step()
    ...
    print(monitor.diagnose())               # whenever you like

Run: python grad_monitor.py   (prints the symptom table, writes grad_monitor_table.md)
"""

import math
import statistics
from dataclasses import dataclass, field

import torch
from step_grads import per_step_grad_norms
from torch import nn

# --8<-- [start:thresholds]
# Exploding: one step's gradient norm is more than SPIKE_FACTOR times the median of the
# WINDOW steps before it. Chosen on this chapter's runs (monitor_runs.py): in the healthy run
# SGD's ordinary noise lifted the norm to at most about 8x its recent median, while the
# exploding run jumped 188x two steps before its NaN; 100 sits between the two.
SPIKE_FACTOR = 100.0
WINDOW = 20
MIN_WINDOW = 5  # no spike test before this many steps of history
# Vanishing: ||dL/dh_1|| / ||dL/dh_T|| (median of the last RECENT_PROBES probes) below
# VANISHING_RATIO. In the vanishing-gradients chapter the recall task was learned with a
# ratio of 8e-3 at initialisation (T = 10) and never left the baseline with 9e-5 (T = 20);
# 1e-3 lies between the two.
VANISHING_RATIO = 1e-3
RECENT_PROBES = 5
PROBE_EVERY = 10
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
        "matrix with singular values near 1",
    ),
    "vanishing": Symptom(
        seen="The loss stays at the baseline; long-range targets are never learned",
        cause="Vanishing gradients: early steps receive almost no gradient",
        confirm="The per-timestep gradient norm at the first step is orders of magnitude "
        "below the last",
        first_aid="Orthogonal or identity recurrent initialisation with small input weights; "
        "shorter gradient paths (skip connections); a gated cell (LSTM, GRU). "
        "Not clipping, not a higher learning rate",
    ),
    "slow": Symptom(
        seen="The loss falls, but very slowly",
        cause="Either a learning rate that is too small, or vanishing gradients",
        confirm="Measure the early-to-late gradient ratio: healthy means the learning rate, "
        "tiny means vanishing",
        first_aid="Raise the learning rate only if the ratio is healthy; otherwise treat as "
        "vanishing (a higher learning rate does not change the ratio)",
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


@dataclass(frozen=True)
class Diagnosis:
    """What the monitor concluded, why, and what to try first."""

    name: str  # "exploding", "vanishing" or "healthy"
    evidence: str
    first_aid: str

    def __str__(self) -> str:
        return f"{self.name}: {self.evidence}.\n  First aid: {self.first_aid}."


def is_scalar_loss(loss: object) -> bool:
    """True for a tensor with exactly one element."""
    return isinstance(loss, torch.Tensor) and loss.numel() == 1


def check_recurrent(states: list[torch.Tensor]) -> None:
    """Raise unless h_T was computed from h_{T-1}: the states must form a recurrence."""
    if isinstance(states, torch.Tensor):
        raise TypeError(
            "states must be a list [h_1, ..., h_T], not one tensor; the output tensor of a "
            "fused nn.RNN carries only direct gradients: unroll a cell (step_grads.unroll)"
        )
    if not isinstance(states, list | tuple) or len(states) < 2:
        raise ValueError("states must be a list of at least two hidden states h_1..h_T")
    if not all(isinstance(h, torch.Tensor) and h.requires_grad for h in states):
        raise ValueError("every state must be a tensor in the autograd graph (requires_grad)")
    (link,) = torch.autograd.grad(
        states[-1].sum(), states[-2], retain_graph=True, allow_unused=True
    )
    if link is None:
        raise ValueError(
            "h_T does not depend on h_{T-1}: these are not the states of a recurrence "
            "(a model without recurrent state, or the slices of a fused nn.RNN's output); "
            "unroll the recurrent cell step by step (step_grads.unroll)"
        )


# --8<-- [start:monitor]
@dataclass
class GradMonitor:
    """Record loss, gradient norm and per-timestep norms; diagnose exploding or vanishing."""

    probe_every: int = PROBE_EVERY
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # before clipping
    probes: dict[int, torch.Tensor] = field(default_factory=dict)  # step -> ||dL/dh_t||, t=1..T
    nonfinite_at: int | None = None  # first step with a NaN/Inf loss or gradient
    nonfinite_params: list[str] = field(default_factory=list)

    def wants_time_steps(self) -> bool:
        """True on the steps where time_steps() should be called (every probe_every steps)."""
        return len(self.losses) % self.probe_every == 0

    def time_steps(self, loss: torch.Tensor, states: list[torch.Tensor]) -> torch.Tensor:
        """Record ||dL/dh_t|| for every t from one backward pass; call BEFORE loss.backward()."""
        if not is_scalar_loss(loss):
            raise ValueError("loss must be a scalar tensor: reduce it (e.g. .mean()) first")
        try:
            check_recurrent(states)
            norms = per_step_grad_norms(loss, states)  # autograd.grad, graph kept
        except RuntimeError as error:
            if "backward through the graph a second time" not in str(error):
                raise
            raise RuntimeError(
                "the graph is already freed: call time_steps() before loss.backward()"
            ) from error
        self.probes[len(self.losses)] = norms
        return norms

    def record(self, loss: torch.Tensor, model: nn.Module) -> float:
        """Record this step's loss and global gradient norm; call after backward, before step."""
        if not is_scalar_loss(loss):
            raise ValueError("loss must be a scalar tensor: reduce it (e.g. .mean()) first")
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
        named = [(n, p.grad) for n, p in model.named_parameters() if p.grad is not None]
        if not named:
            raise ValueError("no parameter has a gradient: call record() after loss.backward()")
        norm = torch.nn.utils.get_total_norm([g for _, g in named]).item()
        step, value = len(self.losses), loss.item()
        self.losses.append(value)
        self.grad_norms.append(norm)
        if self.nonfinite_at is None and not (math.isfinite(value) and math.isfinite(norm)):
            self.nonfinite_at = step
            self.nonfinite_params = [n for n, g in named if not torch.isfinite(g).all()]
        return norm

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

    def diagnose(self) -> Diagnosis:
        """Exploding (spike or NaN/Inf) before vanishing (small early/late ratio) before healthy."""
        if not self.losses:
            raise ValueError("nothing recorded yet: call record() after each loss.backward()")
        ratio, spike = self.early_to_late(), self.first_spike()
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
            return Diagnosis("exploding", "; ".join(found), SYMPTOMS["exploding"].first_aid)
        if ratio is not None and ratio < VANISHING_RATIO:
            evidence = f"||dL/dh_1|| / ||dL/dh_T|| = {ratio:.1e}, below {VANISHING_RATIO:.0e}"
            return Diagnosis("vanishing", evidence, SYMPTOMS["vanishing"].first_aid)
        checked = "not measured" if ratio is None else f"{ratio:.2g}"
        _, jump = self.largest_jump()
        evidence = f"largest jump {jump:.3g}x the recent median; early/late ratio {checked}"
        return Diagnosis("healthy", evidence, SYMPTOMS["healthy"].first_aid)


# --8<-- [end:monitor]


def table_markdown() -> str:
    """The symptom table as Markdown, one row per entry of SYMPTOMS."""
    lines = [
        "| What you see | Likely cause | How to confirm it | First aid |",
        "|---|---|---|---|",
    ]
    for row in SYMPTOMS.values():
        lines.append(f"| {row.seen} | {row.cause} | {row.confirm} | {row.first_aid} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for key, row in SYMPTOMS.items():
        print(f"[{key}] {row.seen}\n  cause: {row.cause}\n  confirm: {row.confirm}")
        print(f"  first aid: {row.first_aid}\n")
    print(f"thresholds: spike factor {SPIKE_FACTOR:g} over the median of {WINDOW} steps; ")
    print(f"vanishing below an early/late ratio of {VANISHING_RATIO:g}")
    with open("grad_monitor_table.md", "w", encoding="utf-8") as out:
        out.write(table_markdown())
