"""The book's library: the code that chapters share, imported by name (``from rnnbook import lru``).

Each module's docstring names the page that teaches it and the snippet that runs it.
Snippets (``snippets/<chapter>/<name>.py``) are experiments and demos: they import the
standard library, numpy, torch, matplotlib and this package, never each other.

    gradients           unroll a cell, every per-step gradient norm from one backward pass
    bptt_numpy          backpropagation through time by hand, in NumPy (the reference)
    recall              the recall task and its training loop (vanishing chapter)
    recall_runs         training on the recall task over seeds (fixes chapter)
    exploding           the exploding ReLU RNN and its task (exploding chapter)
    cells               LSTM and GRU written out equation by equation
    lru                 the linear recurrent unit, sequential and as a parallel scan
    adding, copying     the benchmark's tasks with their exact baselines
    models, benchmark   the benchmark's models, settings and training protocol
    benchmark_report    running a share of the benchmark and reporting it
    monitor             the per-timestep gradient monitor (diagnosis chapter)
    monitored_training  a training loop that calls the monitor
    lyapunov            Lyapunov exponents of a recurrent map
    bptt_memory         what backpropagation through time keeps in memory
    explorer            the reference implementation of the explorer page
    protocol            the experimental protocol: one 'solved', fair arms, chosen rates
    stats               exact intervals and tests: what a count of seeds can decide
    report              numbers as the pages write them (median and range, powers of ten)
"""
