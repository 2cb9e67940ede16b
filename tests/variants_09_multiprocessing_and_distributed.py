"""Independent solutions and typical mistakes for 09_multiprocessing_and_distributed, written from the notebook
prompts only."""
import math

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

V = {}


def reg(name, correct, mistakes):
    V[name] = {"correct": correct, "mistakes": mistakes}


# ---------------- 4.1 ring_reduce_scatter ----------------
def _rrs1(tensors):
    n = len(tensors)
    chunks = [[c.clone() for c in t.tensor_split(n)] for t in tensors]
    for s in range(n - 1):
        msgs = [((r + 1) % n, (r - s) % n, chunks[r][(r - s) % n].clone()) for r in range(n)]
        for dst, idx, data in msgs:
            chunks[dst][idx] = chunks[dst][idx] + data
    return chunks


def _rrs2(tensors):
    n = len(tensors)
    bufs = [t.detach().clone() for t in tensors]
    views = [list(b.tensor_split(n)) for b in bufs]
    for s in range(n - 1):
        sent = [views[r][(r - s) % n].clone() for r in range(n)]
        for r in range(n):
            src = (r - 1) % n
            views[r][(src - s) % n].add_(sent[src])
    return [[v.clone() for v in vs] for vs in views]


def _rrs_inplace(tensors):  # adds into views of the inputs: the caller's tensors change
    n = len(tensors)
    chunks = [list(t.tensor_split(n)) for t in tensors]
    for s in range(n - 1):
        sent = [chunks[r][(r - s) % n].clone() for r in range(n)]
        for r in range(n):
            chunks[(r + 1) % n][(r - s) % n].add_(sent[r])
    return chunks


def _rrs_nsteps(tensors):  # n steps instead of n - 1
    n = len(tensors)
    chunks = [[c.clone() for c in t.tensor_split(n)] for t in tensors]
    for s in range(n):
        msgs = [((r + 1) % n, (r - s) % n, chunks[r][(r - s) % n].clone()) for r in range(n)]
        for dst, idx, data in msgs:
            chunks[dst][idx] = chunks[dst][idx] + data
    return chunks


def _rrs_dir(tensors):  # sends chunk (r + s) % n
    n = len(tensors)
    chunks = [[c.clone() for c in t.tensor_split(n)] for t in tensors]
    for s in range(n - 1):
        msgs = [((r + 1) % n, (r + s) % n, chunks[r][(r + s) % n].clone()) for r in range(n)]
        for dst, idx, data in msgs:
            chunks[dst][idx] = chunks[dst][idx] + data
    return chunks


reg("ring_reduce_scatter", [_rrs1, _rrs2],
    [("adds in place into views of the inputs", _rrs_inplace),
     ("n steps instead of n - 1", _rrs_nsteps),
     ("sends chunk (r + s) % n", _rrs_dir)])


# ---------------- 5.1 average_gradients ----------------
def _ag1(model, group):
    size = group.size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, group=group)
            p.grad /= size


def _ag2(model, group):
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=group)
    flat.div_(group.size())
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def _ag_sum(model, group):  # sums, never divides
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, group=group)


def _ag_clone(model, group):  # all_reduce on a copy that is then thrown away
    for p in model.parameters():
        if p.grad is not None:
            g = p.grad.clone()
            dist.all_reduce(g, group=group)
            g /= group.size()


def _ag_nparams(model, group):  # divides by the number of parameters instead of ranks
    params = [p for p in model.parameters() if p.grad is not None]
    for p in params:
        dist.all_reduce(p.grad, group=group)
        p.grad /= len(params)


reg("average_gradients", [_ag1, _ag2],
    [("sum, no division by the group size", _ag_sum),
     ("all_reduce on a discarded clone", _ag_clone),
     ("divides by the number of parameters", _ag_nparams)])


# ---------------- 5.2 global_batch_and_lr ----------------
def _gb1(per_rank_batch, world_size, base_lr, base_batch):
    g = per_rank_batch * world_size
    return g, base_lr * g / base_batch


def _gb2(per_rank_batch, world_size, base_lr, base_batch):
    g = sum(per_rank_batch for _ in range(world_size))
    return int(g), float(base_lr * (g / base_batch))


def _gb_world(per_rank_batch, world_size, base_lr, base_batch):  # lr times world size, base_batch ignored
    return per_rank_batch * world_size, base_lr * world_size


def _gb_perrank(per_rank_batch, world_size, base_lr, base_batch):  # global batch = per-rank batch
    return per_rank_batch, base_lr * per_rank_batch / base_batch


def _gb_sqrt(per_rank_batch, world_size, base_lr, base_batch):  # square-root rule
    g = per_rank_batch * world_size
    return g, base_lr * math.sqrt(g / base_batch)


reg("global_batch_and_lr", [_gb1, _gb2],
    [("lr scaled by world size only", _gb_world),
     ("global batch is the per-rank batch", _gb_perrank),
     ("square-root scaling", _gb_sqrt)])


# ---------------- 6.1 sampler_indices ----------------
def _si1(n, world_size, rank, drop_last):
    if drop_last and n % world_size != 0:
        num = math.ceil((n - world_size) / world_size)
    else:
        num = math.ceil(n / world_size)
    total = num * world_size
    idx = list(range(n))
    if not drop_last:
        pad = total - n
        if pad <= len(idx):
            idx += idx[:pad]
        else:
            idx += (idx * math.ceil(pad / len(idx)))[:pad]
    else:
        idx = idx[:total]
    return idx[rank:total:world_size]


def _si2(n, world_size, rank, drop_last):
    per = n // world_size if drop_last else -(-n // world_size)
    return [(rank + k * world_size) % n for k in range(per)]


def _si_block(n, world_size, rank, drop_last):  # contiguous blocks instead of strided
    idx = _si1(n, world_size, 0, drop_last)
    per = len(idx)
    full = []
    for r in range(world_size):
        full += _si1(n, world_size, r, drop_last)
    full = sorted(full) if drop_last else list(range(n)) + list(range(per * world_size - n))
    return full[rank * per:(rank + 1) * per]


def _si_last(n, world_size, rank, drop_last):  # pads by repeating the last index
    if drop_last:
        total = (n // world_size) * world_size
        idx = list(range(total))
    else:
        total = -(-n // world_size) * world_size
        idx = list(range(n)) + [n - 1] * (total - n)
    return idx[rank::world_size]


def _si_nodrop(n, world_size, rank, drop_last):  # drop_last ignored
    return _si1(n, world_size, rank, False)


reg("sampler_indices", [_si1, _si2],
    [("contiguous blocks per rank", _si_block),
     ("pads with the last index", _si_last),
     ("drop_last ignored", _si_nodrop)])


# ---------------- 6.2 ddp_gradients ----------------
def _ddp1(model, loss_fn, X, y, world_size):
    params = list(model.parameters())
    total = [torch.zeros_like(p) for p in params]
    for r in range(world_size):
        idx = _si1(len(X), world_size, r, False)
        loss = loss_fn(model(X[idx]), y[idx])
        for t, g in zip(total, torch.autograd.grad(loss, params)):
            t += g
    return [t / world_size for t in total]


def _ddp2(model, loss_fn, X, y, world_size):
    import copy
    per_rank = []
    for r in range(world_size):
        idx = list(DistributedSampler(range(len(X)), num_replicas=world_size, rank=r, shuffle=False))
        m = copy.deepcopy(model)
        m.zero_grad(set_to_none=True)
        loss_fn(m(X[idx]), y[idx]).backward()
        per_rank.append([p.grad.detach().clone() for p in m.parameters()])
    return [torch.stack(gs).mean(0) for gs in zip(*per_rank)]


def _ddp_full(model, loss_fn, X, y, world_size):  # gradient of the full batch, padding forgotten
    return [g.detach() for g in torch.autograd.grad(loss_fn(model(X), y), list(model.parameters()))]


def _ddp_sum(model, loss_fn, X, y, world_size):  # sums over ranks instead of averaging
    return [t * world_size for t in _ddp1(model, loss_fn, X, y, world_size)]


def _ddp_nopad(model, loss_fn, X, y, world_size):  # shards without padding
    params = list(model.parameters())
    total = [torch.zeros_like(p) for p in params]
    for r in range(world_size):
        idx = list(range(r, len(X), world_size))
        loss = loss_fn(model(X[idx]), y[idx])
        for t, g in zip(total, torch.autograd.grad(loss, params)):
            t += g
    return [t / world_size for t in total]


reg("ddp_gradients", [_ddp1, _ddp2],
    [("full-batch gradient", _ddp_full),
     ("sum over ranks", _ddp_sum),
     ("shards without padding", _ddp_nopad)])


# ---------------- 7.1 torchrun_env ----------------
def _te1(nnodes, nproc_per_node, node_rank):
    return [{"RANK": str(node_rank * nproc_per_node + lr), "LOCAL_RANK": str(lr),
             "WORLD_SIZE": str(nnodes * nproc_per_node), "LOCAL_WORLD_SIZE": str(nproc_per_node)}
            for lr in range(nproc_per_node)]


def _te2(nnodes, nproc_per_node, node_rank):
    out = []
    start = node_rank * nproc_per_node
    for rank in range(start, start + nproc_per_node):
        out.append(dict(RANK=f"{rank}", LOCAL_RANK=f"{rank - start}", WORLD_SIZE=f"{nnodes * nproc_per_node}",
                        LOCAL_WORLD_SIZE=f"{nproc_per_node}"))
    return out


def _te_local(nnodes, nproc_per_node, node_rank):  # RANK = LOCAL_RANK
    return [{"RANK": str(lr), "LOCAL_RANK": str(lr), "WORLD_SIZE": str(nnodes * nproc_per_node),
             "LOCAL_WORLD_SIZE": str(nproc_per_node)} for lr in range(nproc_per_node)]


def _te_ws(nnodes, nproc_per_node, node_rank):  # WORLD_SIZE = processes of one node
    return [{"RANK": str(node_rank * nproc_per_node + lr), "LOCAL_RANK": str(lr),
             "WORLD_SIZE": str(nproc_per_node), "LOCAL_WORLD_SIZE": str(nproc_per_node)}
            for lr in range(nproc_per_node)]


def _te_int(nnodes, nproc_per_node, node_rank):  # ints, not strings
    return [{"RANK": node_rank * nproc_per_node + lr, "LOCAL_RANK": lr,
             "WORLD_SIZE": nnodes * nproc_per_node, "LOCAL_WORLD_SIZE": nproc_per_node}
            for lr in range(nproc_per_node)]


reg("torchrun_env", [_te1, _te2],
    [("RANK is the local rank", _te_local),
     ("WORLD_SIZE of one node", _te_ws),
     ("ints instead of strings", _te_int)])

VARIANTS = V
