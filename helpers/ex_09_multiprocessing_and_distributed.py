"""Exercises of 09_multiprocessing_and_distributed: ring all-reduce, gradient averaging, batch sizes, samplers and
the ranks torchrun hands out. Every check runs in the notebook's own process; average_gradients gets a real gloo
process group of 1 to 3 ranks, one thread per rank."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from helpers.exercises import Mistake, exercise, generator
from helpers.quiz import quiz

LESSON = "09_multiprocessing_and_distributed"
RANK_TIMEOUT = 10  # seconds a rank of the check's process group waits for the others


def _args_ring(seed: int) -> tuple:
    g = generator(seed)
    n, length = (3, 4, 1, 2)[seed % 4], 5 + seed % 4  # lengths that do not split evenly, and a world of one
    return ([torch.randn(length, generator=g) for _ in range(n)],)
exercise(LESSON, "ring_reduce_scatter", make_args=_args_ring, seeds=(0, 1, 2, 3),
         hint="Work on copies of the chunks. All messages of a step are sent at the same time: rank r sends its "
              "chunk (r - s) % n to rank (r + 1) % n, which adds it to its chunk of the same index; n - 1 steps.")


def _args_average(seed: int) -> tuple:
    g = generator(seed)
    world, width = (2, 3, 1)[seed % 3], 2 + seed % 3
    shapes = [(width, 3), (width,), (1, width)]  # the trainable weights and biases of _call_average's model
    return (world, [[torch.randn(s, generator=g) for s in shapes] for _ in range(world)])


def _call_average(fn: Any, args: tuple) -> list:
    world, grads = args
    models, errors, store = [], [None] * world, dist.HashStore()
    for rank_grads in grads:  # one replica per rank, each with its own gradients
        model = nn.Sequential(nn.Linear(3, len(rank_grads[1])), nn.ReLU(), nn.Linear(len(rank_grads[1]), 1))
        model[2].bias.requires_grad_(False)  # frozen: its .grad stays None
        for p, grad in zip([p for p in model.parameters() if p.requires_grad], rank_grads):
            p.grad = grad.clone()
        models.append(model)

    def run_rank(rank: int) -> None:
        try:
            fn(models[rank], dist.ProcessGroupGloo(store, rank, world, timedelta(seconds=RANK_TIMEOUT)))
        except BaseException as err:  # raised again in the checking thread, with the student's line
            errors[rank] = err
    threads = [threading.Thread(target=run_rank, args=(rank,), daemon=True) for rank in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3 * RANK_TIMEOUT)
    if first := next((e for e in errors if e is not None), None):
        raise first
    if any(t.is_alive() for t in threads):
        raise Mistake("your function did not return on every rank: does every rank make the same collective calls?")
    return [[None if p.grad is None else p.grad.clone() for p in m.parameters()] for m in models]
exercise(LESSON, "average_gradients", make_args=_args_average, call=_call_average, mutates=True,
         hint="For every parameter that has a gradient: all_reduce it over `group` (the default op sums), then "
              "divide by the number of ranks in `group`. Skip parameters whose .grad is None.")


def _args_batch(seed: int) -> tuple:
    return ((16, 32, 64)[seed % 3], (4, 1, 8, 2)[seed % 4], (0.1, 0.05)[seed % 2], (256, 32, 128)[seed % 3])
exercise(LESSON, "global_batch_and_lr", make_args=_args_batch,
         hint="The global batch counts the examples of one optimizer step on all ranks together; the linear rule "
              "scales the learning rate by how much larger the global batch is than the batch base_lr was tuned for.")


def _args_sampler(seed: int) -> tuple:
    fixed = {0: (10, 3, 2, False), 1: (7, 4, 3, True), 2: (2, 3, 2, False), 3: (5, 1, 0, False)}
    if seed in fixed:  # padding, dropping, fewer items than ranks, a world of one
        return fixed[seed]
    world = 1 + seed % 4
    return (1 + seed % 13, world, seed % world, bool(seed % 2))
exercise(LESSON, "sampler_indices", make_args=_args_sampler, seeds=(0, 1, 2, 3),
         hint="Without drop_last, indices 0, 1, 2, ... are padded from the start until every rank gets the same "
              "number; with it, the tail that does not fill a round is dropped. Rank r then takes every "
              "world_size-th index starting at r.")


def _args_ddp(seed: int) -> tuple:
    g = generator(seed)
    n, d, world = (10, 8, 5, 6)[seed % 4], 2 + seed % 3, (4, 3, 2, 1)[seed % 4]
    return (torch.randn(1, d, generator=g), torch.randn(1, generator=g), torch.randn(n, d, generator=g),
            torch.randn(n, 1, generator=g), world)


def _call_ddp(fn: Any, args: tuple) -> dict:
    weight, bias, X, y, world = args
    model = nn.Linear(weight.shape[1], 1)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    grads = fn(model, nn.MSELoss(), X, y, world)
    return {"gradients": grads, "parameters unchanged": torch.equal(model.weight, weight) and
            torch.equal(model.bias, bias)}
exercise(LESSON, "ddp_gradients", make_args=_args_ddp, call=_call_ddp,
         hint="Build each rank's shard from the indices DistributedSampler(shuffle=False) gives it (padding "
              "included), take the gradient of the mean loss on that shard, and average over the ranks. "
              "Return a list with one tensor per parameter.")


def _args_torchrun(seed: int) -> tuple:
    fixed = {0: (2, 4, 1), 1: (1, 3, 0), 2: (4, 2, 3), 3: (3, 1, 2)}
    return fixed.get(seed, (1 + seed % 4, 1 + seed % 3, seed % (1 + seed % 4)))
exercise(LESSON, "torchrun_env", make_args=_args_torchrun, seeds=(0, 1, 2, 3),
         hint="Every node runs nproc_per_node processes; ranks count the processes of node 0 first, then node 1, "
              "and so on. Environment variables are strings.")

quiz(LESSON, "quiz_09_1", hint="Section 4: all_reduce with the default op.")
quiz(LESSON, "quiz_09_2", hint="Section 6: what set_epoch changes.", choices="abc")
quiz(LESSON, "quiz_09_3", hint="Section 4: what DDP does with the gradients of each rank.")
quiz(LESSON, "quiz_09_4", hint="Section 2: how a spawned process finds the function it should run.", choices="abc")
quiz(LESSON, "quiz_09_5", hint="Section 7 and exercise 7.1: how ranks are numbered across nodes.")
