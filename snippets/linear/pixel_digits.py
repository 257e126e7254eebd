"""Pixel-by-pixel digits: six recurrent models read an 8×8 image one pixel at a time.

The data are scikit-learn's bundled handwritten digits (load_digits: 1797 images of
8 × 8 pixels with 17 grey levels, shipped inside the package, no download). Each image
becomes a sequence of T = 64 scalar inputs, read row by row ("in order") or in one
fixed random order of the 64 pixels ("permuted"), the small cousin of the pixel-MNIST
task of Le, Jaitly & Hinton (2015). The model sees one pixel per step and is scored on
its output after the last one.

Models, each about 1.4k parameters: tanh RNN (PyTorch's default initialisation), tanh RNN
with an orthogonal recurrent matrix, IRNN (ReLU, W_hh = I, Le et al.), LSTM, GRU, and
one LRU block (lru.py) with a linear read-out of the last step.

Protocol, the same for every model: a fixed split (1197 training, 300 validation, 300
test images), pixels standardised with the training set's mean and standard deviation,
Adam with batches of 64, gradient norm clipped at 1, at most 5 epochs, stopped after 2
epochs without a better validation accuracy; the test accuracy is that of the epoch
with the best validation accuracy. The learning rate of each model is the best of
3e-4 ... 1e-1 in a pilot with another seed (see LEARNING_RATES). Five seeds per model and
ordering; float32 on one CPU thread.

Run: python pixel_digits.py   (a minute or two on one CPU thread; imports
rnnbook.lru). Prints the table; writes pixel_digits.csv (one row per run), pixel_digits.svg,
pixel_digits.json and pixel_digits_timing.md.
"""

import copy
import csv
import json
import statistics
import time
from dataclasses import asdict, dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from rnnbook.lru import LRUModel

KINDS = ("tanh", "orthogonal", "irnn", "lstm", "gru", "lru")
LABELS = {
    "tanh": "tanh RNN",
    "orthogonal": "tanh RNN, orthogonal",
    "irnn": "IRNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "lru": "LRU",
}
HIDDEN = {"tanh": 32, "orthogonal": 32, "irnn": 32, "lstm": 16, "gru": 19, "lru": 14}
ORDERINGS = ("in order", "permuted")
SEEDS = (0, 1, 2, 3, 4)
SPLIT_SEED, PERMUTATION_SEED = 0, 1
TRAIN, VALIDATION = 1197, 300  # the other 300 images are the test set
EPOCHS, PATIENCE, BATCH, CLIP = 5, 2, 64, 1.0
IRNN_INPUT_STD = 0.001  # Le et al.'s small input weights
# The best of 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1 for each model: highest mean validation
# accuracy over both orderings in a pilot with seed 100 (run once, outside the build).
LEARNING_RATES = {
    "tanh": 1e-2,
    "orthogonal": 1e-2,
    "irnn": 1e-2,
    "lstm": 3e-2,
    "gru": 3e-2,
    "lru": 1e-2,
}


# --8<-- [start:data]
@dataclass(frozen=True)
class Split:
    """Sequences (images, 64, 1) and labels for training, validation and test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def pixel_sequences(ordering: str) -> Split:
    """The digits as 64-step sequences of one standardised pixel each, split in three."""
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}")
    images, labels = load_digits(return_X_y=True)  # (1797, 64) grey levels 0..16, row by row
    if ordering == "permuted":  # one fixed order of the 64 pixels, the same for every image
        images = images[:, np.random.default_rng(PERMUTATION_SEED).permutation(64)]
    rows = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    parts = np.split(rows, [TRAIN, TRAIN + VALIDATION])
    mean, std = images[parts[0]].mean(), images[parts[0]].std()
    x = torch.tensor((images - mean) / std, dtype=torch.float32)[..., None]
    y = torch.tensor(labels)
    return Split(*(t for part in parts for t in (x[part], y[part])))


# --8<-- [end:data]


# --8<-- [start:models]
class Classifier(nn.Module):
    """A recurrent layer over the 64 pixels and a linear read-out of the last step."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.kind, H = kind, HIDDEN[kind]
        if kind == "lru":  # encoder, one LRU block, decoder: an output at every step
            self.layer = LRUModel(1, 10, d_model=H, d_state=H, layers=1)
            return
        if kind == "lstm":
            self.layer = nn.LSTM(1, H, batch_first=True)
        elif kind == "gru":
            self.layer = nn.GRU(1, H, batch_first=True)
        else:
            activation = "relu" if kind == "irnn" else "tanh"
            self.layer = nn.RNN(1, H, nonlinearity=activation, batch_first=True)
        with torch.no_grad():
            if kind == "orthogonal":
                nn.init.orthogonal_(self.layer.weight_hh_l0)
            if kind == "irnn":
                self.layer.weight_hh_l0.copy_(torch.eye(H))
                self.layer.bias_hh_l0.zero_()
                self.layer.bias_ih_l0.zero_()
                self.layer.weight_ih_l0.normal_(0.0, IRNN_INPUT_STD)
        self.readout = nn.Linear(H, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (images, 64, 1) -> class scores (images, 10) after the last pixel."""
        if self.kind == "lru":
            return self.layer(x)[:, -1]
        states, _ = self.layer(x)
        return self.readout(states[:, -1])


# --8<-- [end:models]


@dataclass
class Run:
    """One trained model: one row of the CSV."""

    model: str
    ordering: str
    seed: int
    parameters: int
    lr: float
    epochs: int
    validation_accuracy: float
    test_accuracy: float


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of images classified correctly."""
    with torch.no_grad():
        return (model(x).argmax(dim=-1) == y).float().mean().item()


# --8<-- [start:train]
def train_run(kind: str, ordering: str, seed: int, data: Split) -> Run:
    """Adam with clipping, early stopping on validation accuracy; test at the best epoch."""
    torch.manual_seed(seed)
    model = Classifier(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATES[kind])
    order = np.random.default_rng(seed)
    best, best_state, epochs, since_best = -1.0, None, 0, 0
    while epochs < EPOCHS and since_best < PATIENCE:
        epochs += 1
        shuffled = order.permutation(TRAIN)
        for start in range(0, TRAIN, BATCH):
            batch = shuffled[start : start + BATCH]
            loss = nn.functional.cross_entropy(model(data.x_train[batch]), data.y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
        score = accuracy(model, data.x_val, data.y_val)
        if score > best:
            best, best_state, since_best = score, copy.deepcopy(model.state_dict()), 0
        else:
            since_best += 1
    model.load_state_dict(best_state)
    parameters = sum(p.numel() for p in model.parameters())
    test = accuracy(model, data.x_test, data.y_test)
    return Run(kind, ordering, seed, parameters, LEARNING_RATES[kind], epochs, best, test)


# --8<-- [end:train]


def summary(runs: list[Run], kind: str, ordering: str) -> tuple[float, float, float]:
    """Median, smallest and largest test accuracy over the seeds."""
    found = [r.test_accuracy for r in runs if r.model == kind and r.ordering == ordering]
    return statistics.median(found), min(found), max(found)


def plot(runs: list[Run], path: str = "pixel_digits.svg") -> None:
    """Test accuracy of every run (dots) and the median (bar), per model and ordering."""
    fig, ax = plt.subplots(figsize=(7.6, 3.8))
    for j, ordering in enumerate(ORDERINGS):
        for i, kind in enumerate(KINDS):
            x = i + (j - 0.5) * 0.3
            found = [r.test_accuracy for r in runs if r.model == kind and r.ordering == ordering]
            ax.plot(
                [x] * len(found),
                found,
                "o",
                color=f"C{j}",
                alpha=0.45,
                ms=4,
                label=ordering if i == 0 else None,
            )
            ax.plot(
                [x - 0.12, x + 0.12], [statistics.median(found)] * 2, color=f"C{j}", ls="-", lw=2
            )
    ax.axhline(0.1, color="0.6", ls=":", lw=1, label="guessing (1/10)")
    ax.set_xticks(range(len(KINDS)), [LABELS[k].replace(", ", ",\n") for k in KINDS])
    ax.set_ylabel("test accuracy (fraction of 300 images)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize="small", loc="lower right")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs, seconds = [], dict.fromkeys(KINDS, 0.0)
    for ordering in ORDERINGS:
        data = pixel_sequences(ordering)
        for seed in SEEDS:
            for kind in KINDS:
                start = time.process_time()
                runs.append(train_run(kind, ordering, seed, data))
                seconds[kind] += time.process_time() - start

    print(f"8×8 digits, one pixel per step (T = 64); {TRAIN} training, {VALIDATION} validation,")
    print(f"300 test images; at most {EPOCHS} epochs, batch {BATCH}, {len(SEEDS)} seeds per cell")
    print("Test accuracy, median (range) over the seeds:")
    table = [f"| model | parameters | lr | {' | '.join(ORDERINGS)} |", "|---|---:|---:|---:|---:|"]
    values = {}
    for kind in KINDS:
        count = next(r.parameters for r in runs if r.model == kind)
        cells = []
        for ordering in ORDERINGS:
            median, low, high = summary(runs, kind, ordering)
            cells.append(f"{median:.2f} ({low:.2f}–{high:.2f})")
            values[f"{kind}_{ordering.replace(' ', '_')}"] = round(median, 2)
        table.append(
            f"| {LABELS[kind]} | {count:,} | {LEARNING_RATES[kind]:g} | {' | '.join(cells)} |"
        )
    print("\n".join(table))
    with open("pixel_digits_table.md", "w", encoding="utf-8") as f:
        f.write("\n".join(table) + "\n")
    epochs = [r.epochs for r in runs]
    print(f"Epochs run: {min(epochs)} to {max(epochs)} (median {statistics.median(epochs):g})")

    with open("pixel_digits.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(runs[0])))
        writer.writeheader()
        for run in runs:
            writer.writerow(
                asdict(run)
                | {
                    k: round(v, 4)
                    for k, v in asdict(run).items()
                    if isinstance(v, float) and k != "lr"
                }
            )
    with open("pixel_digits.json", "w", encoding="utf-8") as f:
        json.dump(values | {"seeds": len(SEEDS), "runs": len(runs)}, f, indent=1)
    with open("pixel_digits_timing.md", "w", encoding="utf-8") as f:
        total = sum(seconds.values())
        f.write("| model | CPU seconds, all 10 runs |\n|---|---:|\n")
        f.writelines(f"| {LABELS[k]} | {seconds[k]:.1f} |\n" for k in KINDS)
        f.write(f"| all 60 runs | {total:.1f} |\n")
    plot(runs)
# --8<-- [end:main]
