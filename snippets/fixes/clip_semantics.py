"""What torch.nn.utils.clip_grad_norm_ and clip_grad_value_ do, exactly.

- clip_grad_norm_(parameters, max_norm) treats the gradients of ALL the parameters as one
  long vector g. It returns ||g|| measured BEFORE clipping, and if ||g|| > max_norm it
  multiplies every gradient by the same factor max_norm / (||g|| + 1e-6): the direction of
  g is kept, its length becomes (just under) max_norm. Below the threshold nothing changes.
- clip_grad_value_(parameters, clip_value) clamps every component to [-clip_value,
  clip_value] on its own: large components are cut, small ones kept, so the direction turns.
- With a NaN or Inf in the gradients, clip_grad_norm_ returns a non-finite norm and, by
  default, writes zeros and NaNs into the gradients; error_if_nonfinite=True raises instead.

Run: python clip_semantics.py   (prints the checks, writes clip_semantics.svg and
clip_semantics_table.md)
"""

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Circle, Rectangle
from torch import nn

GRADIENT_2D = (3.0, 0.5)  # a gradient whose first component is large
THRESHOLD = 1.0  # max_norm for clipping by norm, clip_value for clipping by value


def with_grads(*grads: list[float]) -> list[nn.Parameter]:
    """Parameters whose .grad holds the given values (a stand-in for a backward pass)."""
    params = []
    for values in grads:
        p = nn.Parameter(torch.zeros(len(values)))
        p.grad = torch.tensor(values)
        params.append(p)
    return params


def angle_degrees(a: torch.Tensor, b: torch.Tensor) -> float:
    """The angle between two vectors, in degrees."""
    if a.norm() == 0 or b.norm() == 0:
        raise ValueError("the angle with a zero vector is undefined")
    cosine = torch.dot(a, b) / (a.norm() * b.norm())
    return math.degrees(math.acos(min(1.0, cosine.item())))


# --8<-- [start:global]
def global_norm_demo() -> None:
    """Two parameters, one norm: the norm of all gradients stacked into one vector."""
    params = with_grads([3.0, 0.0, 4.0], [12.0, 0.0])  # per-parameter norms 5 and 12
    each = [p.grad.norm().item() for p in params]
    returned = nn.utils.clip_grad_norm_(params, max_norm=THRESHOLD)
    after = torch.cat([p.grad for p in params])
    print(f"per-parameter norms {each[0]:g} and {each[1]:g}; one vector: sqrt(5² + 12²) = 13")
    print(f"clip_grad_norm_ returned {returned.item():g} (the norm BEFORE clipping)")
    print(
        f"after clipping: global norm {after.norm().item():.7f}, "
        f"per-parameter norms {params[0].grad.norm().item():.4f} and "
        f"{params[1].grad.norm().item():.4f} (both scaled by 1/13: ratio 5 : 12 kept)"
    )

    small = with_grads([0.3, -0.4])
    before = small[0].grad.clone()
    returned = nn.utils.clip_grad_norm_(small, max_norm=THRESHOLD)
    unchanged = torch.equal(small[0].grad, before)
    print(f"a gradient of norm {returned.item():g} < {THRESHOLD:g}: unchanged = {unchanged}")


# --8<-- [end:global]


# --8<-- [start:direction]
def clip_both_ways(g: tuple[float, float]) -> dict[str, torch.Tensor]:
    """The 2-D gradient g as it is, clipped by norm and clipped by value."""
    if len(g) != 2 or not all(math.isfinite(v) for v in g):
        raise ValueError(f"g must be two finite numbers, got {g!r}")
    by_norm, by_value = with_grads(list(g)), with_grads(list(g))
    nn.utils.clip_grad_norm_(by_norm, max_norm=THRESHOLD)
    nn.utils.clip_grad_value_(by_value, clip_value=THRESHOLD)
    return {
        "original": torch.tensor(g),
        "clip_grad_norm_": by_norm[0].grad,
        "clip_grad_value_": by_value[0].grad,
    }


# --8<-- [end:direction]


# --8<-- [start:nonfinite]
def nonfinite_demo() -> None:
    """What a NaN or Inf does to clip_grad_norm_, with and without error_if_nonfinite."""
    params = with_grads([1.0, math.inf], [2.0])
    returned = nn.utils.clip_grad_norm_(params, max_norm=THRESHOLD)
    print(
        f"an Inf in one gradient: returned norm {returned.item()}, gradients now "
        f"{params[0].grad.tolist()} and {params[1].grad.tolist()}"
    )
    params = with_grads([1.0, math.nan], [2.0])
    returned = nn.utils.clip_grad_norm_(params, max_norm=THRESHOLD)
    print(
        f"a NaN in one gradient: returned norm {returned.item()}, gradients now "
        f"{params[0].grad.tolist()} and {params[1].grad.tolist()}"
    )
    params = with_grads([1.0, math.inf], [2.0])
    try:
        nn.utils.clip_grad_norm_(params, max_norm=THRESHOLD, error_if_nonfinite=True)
    except RuntimeError as error:
        print(f"error_if_nonfinite=True raises RuntimeError: {str(error).split(', so')[0]}")


# --8<-- [end:nonfinite]


def table_rows(clipped: dict[str, torch.Tensor]) -> list[list[str]]:
    """Method, vector, norm and angle to the original, as table cells."""
    original = clipped["original"]
    return [
        [
            name if name == "original" else f"`{name}({THRESHOLD:g})`",
            "(" + ", ".join(f"{v:.3f}" for v in g.tolist()) + ")",
            f"{g.norm().item():.3f}",
            f"{angle_degrees(original, g):.1f}°",
        ]
        for name, g in clipped.items()
    ]


HEADER = ["gradient", "components", "norm", "angle to the original"]


def plot(clipped: dict[str, torch.Tensor], path: str = "clip_semantics.svg") -> None:
    """The original and clipped 2-D gradients as arrows, with the norm ball and value box."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.add_patch(Circle((0, 0), THRESHOLD, fill=False, color="C0", ls="--", lw=1.0))
    ax.add_patch(
        Rectangle(
            (-THRESHOLD, -THRESHOLD),
            2 * THRESHOLD,
            2 * THRESHOLD,
            fill=False,
            color="C1",
            ls=":",
            lw=1.2,
        )
    )
    styles = {"original": "0.35", "clip_grad_norm_": "C0", "clip_grad_value_": "C1"}
    offsets = {"original": (6, 4), "clip_grad_norm_": (8, -16), "clip_grad_value_": (6, 6)}
    for name, g in clipped.items():
        x, y = g.tolist()
        ax.annotate(
            "", (x, y), (0, 0), arrowprops={"arrowstyle": "-|>", "color": styles[name], "lw": 2}
        )
        label = name if name == "original" else f"{name}({THRESHOLD:g})"
        ax.annotate(
            label, (x, y), xytext=offsets[name], textcoords="offset points", color=styles[name]
        )
    ax.text(-0.6, 0.3, "‖g‖ ≤ 1", color="C0", fontsize="small")
    ax.text(0.55, -1.2, "|g_i| ≤ 1", color="C1", fontsize="small")
    ax.set_xlim(-1.4, 4.4)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.set_xlabel("gradient component 1")
    ax.set_ylabel("component 2")
    ax.set_title("Clipping by norm keeps the direction; clipping by value turns it")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    global_norm_demo()
    clipped = clip_both_ways(GRADIENT_2D)
    rows = table_rows(clipped)
    print(f"\nthe 2-D gradient {GRADIENT_2D}, threshold {THRESHOLD:g}:")
    for r in rows:
        print(f"  {r[0].strip('`'):22s} {r[1]:16s} norm {r[2]}  angle to the original {r[3]}")
    print()
    nonfinite_demo()
    with open("clip_semantics_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(clipped)
# --8<-- [end:main]
