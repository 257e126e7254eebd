"""`python recall_runs.py`: what docs/fixes.md prints from the book's library module rnnbook.recall_runs.

rnnbook/recall_runs.py: Training on the recall task over seeds: the loop this chapter's experiments share.
"""

import torch
from torch import nn

from rnnbook import recall
from rnnbook.recall_runs import DISTANCE, SOLVED, STEPS, WINDOW, LastState, train

if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = LastState(nn.RNN(2, recall.HIDDEN, batch_first=True), nn.Linear(recall.HIDDEN, 1))
    run = train(model, lr=0.1, clip=1.0, steps=50)
    print(f"recall a bit {DISTANCE} steps back; at most {STEPS} steps of SGD per run")
    print(f"solved: mean training loss of the last {WINDOW} steps below {SOLVED}")
    print(f"a tanh RNN, 50 steps at lr 0.1 with clipping at 1: loss {run.final:.2f}")
