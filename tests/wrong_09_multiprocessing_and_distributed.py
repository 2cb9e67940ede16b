"""Typical wrong answers to the exercises and quiz questions of 09_multiprocessing_and_distributed."""
import torch
import torch.distributed as dist


def _ring_all_reduce(tensors):
    total = torch.stack(tensors).sum(dim=0)  # the finished all-reduce, not the state after the reduce-scatter
    return [list(total.tensor_split(len(tensors))) for _ in tensors]


def _average_without_dividing(model, group):
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, group=group)  # the sum, not the average


def _contiguous_shards(n, world_size, rank, drop_last):
    per_rank = n // world_size  # neither padded nor strided
    return list(range(rank * per_rank, (rank + 1) * per_rank))


def _full_batch_gradient(model, loss_fn, X, y, world_size):
    return list(torch.autograd.grad(loss_fn(model(X), y), list(model.parameters())))  # ignores the padding


def _ints_not_strings(nnodes, nproc_per_node, node_rank):
    return [{"RANK": node_rank * nproc_per_node + local, "LOCAL_RANK": local, "WORLD_SIZE": nnodes * nproc_per_node,
             "LOCAL_WORLD_SIZE": nproc_per_node} for local in range(nproc_per_node)]


WRONG = {
    "ring_reduce_scatter": _ring_all_reduce,
    "average_gradients": _average_without_dividing,
    "global_batch_and_lr": lambda b, world, lr, base: (b * world, lr * world),  # scaled by ranks, not by batch
    "sampler_indices": _contiguous_shards,
    "ddp_gradients": _full_batch_gradient,
    "torchrun_env": _ints_not_strings,
    "quiz_09_1": 3,  # rank 2's own value plus one neighbour
    "quiz_09_2": "c",
    "quiz_09_3": 1,
    "quiz_09_4": "a",
    "quiz_09_5": 3,  # the local rank
}
