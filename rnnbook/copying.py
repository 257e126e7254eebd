"""The copy-memory task: read ten symbols, wait T steps, then write them out again.

Tokens: 0 is a blank, 1-8 are the eight symbol categories, 9 is the delimiter. An input
sequence has T + 20 steps: ten random symbols, T - 1 blanks, the delimiter (the cue to
start recalling), then ten more blanks. The target is blank for the first T + 10 steps
and the ten symbols, in order, for the last ten. The layout is Arjovsky, Shah & Bengio's
(2016). The network must carry 10 x 3 bits for T steps before it can use any of them.

Run: python copy_task.py   (prints an example and checks the baseline)

Taught in docs/benchmark.md; run by snippets/benchmark/copy_task.py.
"""

import math

import numpy as np

BLANK, DELIMITER = 0, 9
CATEGORIES = 8  # symbols 1..8
SYMBOLS = 10  # how many symbols to remember
TOKENS = 10  # input alphabet: blank, 8 symbols, delimiter
CLASSES = CATEGORIES + 1  # output alphabet: blank and the 8 symbols


def check_count(value: int, name: str, minimum: int) -> int:
    """Return value after checking it is a whole number >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


# --8<-- [start:task]
def copy_tokens(rng: np.random.Generator, batch: int, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Input and target token ids, both (batch, delay + 20) int64."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    batch = check_count(batch, "batch", 1)
    delay = check_count(delay, "delay", 1)
    length = delay + 2 * SYMBOLS
    symbols = rng.integers(1, CATEGORIES + 1, size=(batch, SYMBOLS))
    inputs = np.full((batch, length), BLANK, dtype=np.int64)
    inputs[:, :SYMBOLS] = symbols
    inputs[:, SYMBOLS + delay - 1] = DELIMITER
    targets = np.full((batch, length), BLANK, dtype=np.int64)
    targets[:, -SYMBOLS:] = symbols
    return inputs, targets


def copy_batch(rng: np.random.Generator, batch: int, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, delay + 20, 10) float32 one-hot inputs; y (batch, delay + 20) int64 targets."""
    inputs, targets = copy_tokens(rng, batch, delay)
    return np.eye(TOKENS, dtype=np.float32)[inputs], targets


# --8<-- [end:task]


# --8<-- [start:baseline]
def memoryless_log_probs(delay: int) -> np.ndarray:
    """Log-probabilities (delay + 20, 9) of the best predictor that remembers no symbol.

    It knows the layout, so it says "blank" with certainty for the first delay + 10 steps;
    for the last ten it can only spread its bet evenly over the 8 categories.
    """
    delay = check_count(delay, "delay", 1)
    log_p = np.full((delay + 2 * SYMBOLS, CLASSES), -np.inf)
    log_p[:-SYMBOLS, BLANK] = 0.0
    log_p[-SYMBOLS:, 1:] = -math.log(CATEGORIES)
    return log_p


def memoryless_baseline(delay: int) -> float:
    """Its cross-entropy per step: 10 ln 8 nats spread over delay + 20 steps."""
    delay = check_count(delay, "delay", 1)
    return SYMBOLS * math.log(CATEGORIES) / (delay + 2 * SYMBOLS)


def cross_entropy(log_p: np.ndarray, targets: np.ndarray) -> float:
    """Mean over sequences and steps of -log p(target) for per-step log-probabilities."""
    steps = np.arange(targets.shape[1])
    return float(-log_p[steps, targets].mean())


# --8<-- [end:baseline]

LENGTHS = (20, 50, 100)
CHECK_SEED, CHECK_SIZE = 1, 10_000


def show(tokens: np.ndarray) -> str:
    """Tokens as text: digits for symbols, '.' for blank, ':' for the delimiter."""
    return "".join({BLANK: ".", DELIMITER: ":"}.get(int(t), str(t)) for t in tokens)
