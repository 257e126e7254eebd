"""Truncated BPTT: the error without detach(), why retain_graph=True is wrong, detach() works."""

import itertools

import tbptt
import torch
from support import expected_output


def test_without_detach_the_second_backward_fails():
    record = tbptt.run("no detach")
    assert record["error"][0] == 2
    assert record["error"][1].startswith("Trying to backward through the graph a second time")


def test_retain_graph_meets_weights_changed_by_the_optimizer():
    record = tbptt.run("retain_graph=True")
    assert record["error"][0] == 2
    assert "modified by an inplace operation" in record["error"][1]


def test_retain_graph_grows_the_graph_by_one_chunk_per_step():
    nodes = tbptt.run("retain_graph, no optimizer step")["nodes"]
    assert len(nodes) == tbptt.CHUNKS
    steps = {b - a for a, b in itertools.pairwise(nodes)}
    assert len(steps) == 1 and steps.pop() > 0  # linear growth: chunk n visits n chunks
    assert nodes[-1] > 9 * nodes[0]
    # Total work: quadratic in the number of chunks, against linear with detach().
    assert sum(nodes) > 5 * sum(tbptt.run("detach")["nodes"])


def test_detach_keeps_every_backward_the_same_size():
    record = tbptt.run("detach")
    assert record["error"] is None and set(record["nodes"]) == {record["nodes"][0]}


def test_the_copyable_loop_runs_carries_the_state_and_learns():
    torch.manual_seed(0)
    model = tbptt.Echo()
    before = [p.detach().clone() for p in model.parameters()]
    x, y = tbptt.stream()
    tbptt.train_tbptt(model, x, y, k2=tbptt.K2)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_page_output():
    text = expected_output("fixes/tbptt")
    for variant in tbptt.VARIANTS:
        r = tbptt.run(variant)
        assert (
            f"{variant}:\n  {tbptt.outcome(r)}\n  graph nodes per backward: {r['nodes']}\n" in text
        )
    assert "RuntimeError at chunk 2: Trying to backward through the graph a second time" in text
