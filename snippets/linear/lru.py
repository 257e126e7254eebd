"""`python lru.py`: what docs/linear.md prints from the book's library module rnnbook.lru.

rnnbook/lru.py: A minimal Linear Recurrent Unit (LRU, Orvieto et al. 2023) in PyTorch, top to bottom.
"""

import torch

from rnnbook.lru import (
    LRU,
    R_MAX,
    R_MIN,
    TARGET,
    TASK_SIZES,
    LRUModel,
    count_parameters,
    size_for_parameters,
)

if __name__ == "__main__":
    torch.manual_seed(0)
    print(f"Sizes for about {TARGET:,} parameters, 2 layers, d_state = d_model:")
    for task, (n_in, n_out) in TASK_SIZES.items():
        H, N = size_for_parameters(TARGET, n_in, n_out)
        model = LRUModel(n_in, n_out, H, N)
        print(f"  {task:6s} d_model = {H}, d_state = {N}: {count_parameters(model):,} parameters")

    layer = LRU(d_model=16, d_state=256)
    radius = layer.eigenvalues().abs()
    kappa = layer.normalisation()
    print(f"\nOne layer at initialisation, ring [{R_MIN}, {R_MAX}], 256 eigenvalues:")
    print(f"  |λ| from {radius.min():.4f} to {radius.max():.4f}")
    print(f"  κ = sqrt(1 - |λ|²) from {kappa.min():.4f} to {kappa.max():.4f}")
    print(
        f"  κ² + |λ|² = 1 within 1e-6: {bool(torch.allclose(kappa**2 + radius**2, torch.ones(256), atol=1e-6))}"
    )

    x = torch.randn(4, 50, 2, dtype=torch.float64)
    model = LRUModel(2, 1, 8, 8).double()
    same = (model(x, scan=True) - model(x, scan=False)).abs().max().item()
    print(f"\nScan and loop, float64, T = 50: equal within 1e-12: {same < 1e-12}")
