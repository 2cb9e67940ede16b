"""Independent solutions and typical mistakes, written from the notebook prompts only."""
import functools
import itertools
import math
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, TensorDataset
from torch.utils._pytree import tree_map

V = {}


def reg(name, correct, mistakes):
    V[name] = {"correct": correct, "mistakes": mistakes}


# ---------------- 00_setup ----------------
reg("zeros_of_shape",
    [lambda rows, cols: torch.zeros(rows, cols),
     lambda rows, cols: torch.full((rows, cols), 0.0, dtype=torch.float32)],
    [("rows/cols swapped", lambda rows, cols: torch.zeros(cols, rows)),
     ("float64 dtype", lambda rows, cols: torch.zeros(rows, cols, dtype=torch.float64)),
     ("returns NumPy array", lambda rows, cols: np.zeros((rows, cols), dtype=np.float32))])

# ---------------- 01_tensors ----------------
reg("tensor_facts",
    [lambda x: (x.ndim, tuple(x.shape), x.numel()),
     lambda x: (len(x.size()), tuple(int(s) for s in x.size()), math.prod(x.size()))],
    [("shape as list", lambda x: (x.ndim, list(x.shape), x.numel())),
     ("numel as len(x) (first dim)", lambda x: (x.ndim, tuple(x.shape), len(x) if x.ndim else 1)),
     ("returns a list of the three", lambda x: [x.ndim, tuple(x.shape), x.numel()])])


def _si2(n, value):
    out = torch.zeros(n, n)
    for i in range(n):
        out[i, i] = value
    return out


reg("scaled_identity",
    [lambda n, value: torch.eye(n) * value, _si2],
    [("value everywhere", lambda n, value: torch.full((n, n), float(value))),
     ("float64", lambda n, value: torch.eye(n, dtype=torch.float64) * value),
     ("eye + value (off-diagonal not zero)", lambda n, value: torch.eye(n) + value)])

reg("round_to_long",
    [lambda x: torch.round(x).long(),
     lambda x: torch.from_numpy(np.rint(x.detach().cpu().numpy()).astype(np.int64))],
    [("cast truncates (x.long())", lambda x: x.long()),
     ("half-up floor(x+0.5) (ignores half-to-even)", lambda x: torch.floor(x + 0.5).long()),
     ("returns float tensor", lambda x: torch.round(x))])


def _noise2(rows, cols, seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.randn(rows, cols)


reg("seeded_noise",
    [lambda rows, cols, seed: torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed)),
     _noise2],
    [("torch.manual_seed (changes global state)", lambda r, c, s: (torch.manual_seed(s), torch.randn(r, c))[1]),
     ("shape swapped", lambda r, c, s: torch.randn(c, r, generator=torch.Generator().manual_seed(s))),
     ("uniform rand instead of randn", lambda r, c, s: torch.rand(r, c, generator=torch.Generator().manual_seed(s)))])

reg("corners",
    [lambda x: x[[0, -1]][:, [0, -1]],
     lambda x: torch.stack([torch.stack([x[0, 0], x[0, -1]]), torch.stack([x[-1, 0], x[-1, -1]])])],
    [("paired fancy index x[[0,-1],[0,-1]]", lambda x: x[[0, -1], [0, -1]]),
     ("transposed layout", lambda x: x[[0, -1]][:, [0, -1]].T),
     ("off-by-one last index (n-2)", lambda x: x[[0, x.shape[0] - 2]][:, [0, x.shape[1] - 2]])])

reg("linear_forward",
    [lambda x, weight, bias: x @ weight.T + bias,
     lambda x, weight, bias: torch.einsum("ni,oi->no", x, weight) + bias],
    [("forgets bias", lambda x, weight, bias: x @ weight.T),
     ("no transpose", lambda x, weight, bias: x @ weight + bias),
     ("bias summed to a scalar", lambda x, weight, bias: x @ weight.T + bias.sum())])

reg("row_dots",
    [lambda a, b: (a * b).sum(dim=1),
     lambda a, b: torch.einsum("ij,ij->i", a, b)],
    [("sum over dim 0", lambda a, b: (a * b).sum(dim=0)),
     ("full sum (scalar)", lambda a, b: torch.einsum("ij,ij->", a, b)),
     ("matrix a @ b.T", lambda a, b: a @ b.T)])


def _cc2(x):
    out = x.clone()
    for j in range(x.shape[1]):
        out[:, j] = x[:, j] - x[:, j].mean()
    return out


def _cc_inplace(x):
    x -= x.mean(dim=0, keepdim=True)
    return x


reg("center_columns",
    [lambda x: x - x.mean(dim=0, keepdim=True), _cc2],
    [("row means (dim=1)", lambda x: x - x.mean(dim=1, keepdim=True)),
     ("global mean", lambda x: x - x.mean()),
     ("mutates input in place", _cc_inplace)])

reg("stack_columns",
    [lambda a, b: torch.stack([a, b], dim=1),
     lambda a, b: torch.cat([a.unsqueeze(1), b.unsqueeze(1)], dim=1)],
    [("stack dim 0 -> (2, n)", lambda a, b: torch.stack([a, b])),
     ("cat -> (2n,)", lambda a, b: torch.cat([a, b])),
     ("columns swapped", lambda a, b: torch.stack([b, a], dim=1))])


def _oh2(labels, num_classes):
    out = torch.zeros(len(labels), num_classes)
    out[torch.arange(len(labels)), labels] = 1.0
    return out


reg("one_hot_float",
    [lambda labels, num_classes: torch.eye(num_classes)[labels], _oh2],
    [("F.one_hot without num_classes", lambda labels, num_classes: F.one_hot(labels).float()),
     ("int64 dtype (no float)", lambda labels, num_classes: F.one_hot(labels, num_classes)),
     ("float64 dtype", lambda labels, num_classes: torch.eye(num_classes, dtype=torch.float64)[labels])])


def _cam2(x):
    m = x.mean().item()
    return sum(1 for v in x.flatten().tolist() if v > m)


reg("count_above_mean",
    [lambda x: int((x > x.mean()).sum()), _cam2],
    [("returns a tensor", lambda x: (x > x.mean()).sum()),
     (">= instead of > (ties)", lambda x: int((x >= x.mean()).sum())),
     ("column means (dim 0)", lambda x: int((x > x.mean(dim=0)).sum()))])

# ---------------- 02_numpy_bridge ----------------
reg("shared_tensor",
    [lambda a: torch.from_numpy(a), lambda a: torch.as_tensor(a)],
    [("torch.tensor copies", lambda a: torch.tensor(a)),
     ("from_numpy of a copy", lambda a: torch.from_numpy(a.copy())),
     ("casts to float32 (copy unless already float32)", lambda a: torch.from_numpy(a).float())])

reg("snapshot",
    [lambda a: torch.tensor(a), lambda a: torch.from_numpy(np.array(a, copy=True))],
    [("from_numpy shares", lambda a: torch.from_numpy(a)),
     ("as_tensor shares", lambda a: torch.as_tensor(a)),
     ("changes dtype to float32", lambda a: torch.tensor(a, dtype=torch.float32))])

reg("to_numpy",
    [lambda t: t.detach().cpu().numpy(), lambda t: t.numpy(force=True)],
    [("plain .numpy()", lambda t: t.numpy()),
     ("detach but no .cpu() (GPU forgotten)", lambda t: t.detach().numpy()),
     ("via tolist -> float64 array", lambda t: np.array(t.detach().cpu().tolist()))])


def _promote2(tensors):
    d = torch.cat([t.reshape(-1)[:0] for t in tensors]).dtype
    return [t.to(d) for t in tensors]


reg("promote_all",
    [lambda tensors: [t.to(functools.reduce(torch.promote_types, [u.dtype for u in tensors])) for t in tensors],
     _promote2],
    [("always float32", lambda tensors: [t.float() for t in tensors]),
     ("dtype of the first tensor", lambda tensors: [t.to(tensors[0].dtype) for t in tensors]),
     ("largest itemsize wins", lambda tensors: [t.to(max((u.dtype for u in tensors), key=lambda d: d.itemsize))
                                                for t in tensors])])

reg("column_means_list",
    [lambda t: t.mean(dim=0).tolist(),
     lambda t: [float(v) for v in t.detach().cpu().numpy().mean(axis=0)]],
    [("list of 0-d tensors", lambda t: list(t.mean(dim=0))),
     ("row means", lambda t: t.mean(dim=1).tolist()),
     ("returns tensor", lambda t: t.mean(dim=0))])

reg("float32_input",
    [lambda a: torch.tensor(a, dtype=torch.float32),
     lambda a: torch.from_numpy(np.array(a, dtype=np.float32, copy=True))],
    [("as_tensor shares float32 arrays", lambda a: torch.as_tensor(a, dtype=torch.float32)),
     ("from_numpy(a).float() shares float32 arrays", lambda a: torch.from_numpy(a).float()),
     ("keeps dtype (not float32)", lambda a: torch.tensor(a))])


def _shares2(a, t):
    """Exact byte-set intersection of the two buffers."""
    def byte_set(ptr, shape, strides_bytes, itemsize):
        s = set()
        for idx in itertools.product(*[range(n) for n in shape]):
            start = ptr + sum(i * st for i, st in zip(idx, strides_bytes))
            s.update(range(start, start + itemsize))
        return s
    if a.size == 0 or t.numel() == 0:
        return False
    sa = byte_set(a.__array_interface__["data"][0], a.shape, a.strides, a.itemsize)
    tb = [st * t.element_size() for st in t.stride()]
    st_ = byte_set(t.data_ptr(), tuple(t.shape), tb, t.element_size())
    return bool(sa & st_)


reg("shares_memory",
    [lambda a, t: bool(np.shares_memory(a, t.detach().numpy())), _shares2],
    [("same start address only", lambda a, t: a.__array_interface__["data"][0] == t.data_ptr()),
     ("np.may_share_memory (bounds only)", lambda a, t: bool(np.may_share_memory(a, t.detach().numpy()))),
     ("t.numpy().base is a", lambda a, t: t.detach().numpy().base is a)])

# ---------------- 03_shapes_and_broadcasting ----------------
reg("as_matrix",
    [lambda x, n_cols: x.view(-1, n_cols),
     lambda x, n_cols: torch.stack(list(x.split(n_cols)))],
    [("n_cols rows", lambda x, n_cols: x.view(n_cols, -1)),
     ("column-major fill reshape(n_cols,-1).T", lambda x, n_cols: x.reshape(n_cols, -1).T),
     ("one row", lambda x, n_cols: x.view(1, -1))])

reg("transposed_copy",
    [lambda x: x.transpose(-1, -2).contiguous(),
     lambda x: torch.movedim(x, -1, -2).clone(memory_format=torch.contiguous_format)],
    [("not contiguous", lambda x: x.transpose(-1, -2)),
     ("swaps dims 0 and 1", lambda x: x.transpose(0, 1).contiguous()),
     ("reshape instead of transpose", lambda x: x.reshape(*x.shape[:-2], x.shape[-1], x.shape[-2]))])

reg("nhwc_to_nchw",
    [lambda x: x.permute(0, 3, 1, 2), lambda x: torch.einsum("nhwc->nchw", x)],
    [("reshape", lambda x: x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2])),
     ("permute(0,3,2,1) -> NCWH", lambda x: x.permute(0, 3, 2, 1)),
     ("transpose(1,3) -> NCWH", lambda x: x.transpose(1, 3))])

reg("pairwise_differences",
    [lambda a, b: a[:, None] - b[None, :],
     lambda a, b: a.unsqueeze(1).expand(len(a), len(b)) - b.unsqueeze(0).expand(len(a), len(b))],
    [("sign flipped", lambda a, b: b[None, :] - a[:, None]),
     ("transposed (m, n)", lambda a, b: a[None, :] - b[:, None]),
     ("no unsqueeze a - b", lambda a, b: a - b)])


def _ccip1(x):
    x.sub_(x.mean(dim=0, keepdim=True))
    return x


def _ccip2(x):
    for j in range(x.shape[1]):
        x[:, j] -= x[:, j].mean().clone()
    return x


def _ccip_none(x):
    x -= x.mean(dim=0)


reg("center_columns_",
    [_ccip1, _ccip2],
    [("returns new tensor (not in place)", lambda x: x - x.mean(dim=0)),
     ("row means, in place", lambda x: x.sub_(x.mean(dim=1, keepdim=True))),
     ("in place but returns None", _ccip_none)])


def _bs1(shape_a, shape_b):
    n = max(len(shape_a), len(shape_b))
    a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(out)


def _bs2(shape_a, shape_b):
    rev = []
    for x, y in itertools.zip_longest(reversed(shape_a), reversed(shape_b), fillvalue=1):
        if x != y and 1 not in (x, y):
            return None
        rev.append(y if x == 1 else x)
    return tuple(reversed(rev))


def _bs_list(shape_a, shape_b):
    r = _bs1(shape_a, shape_b)
    return None if r is None else list(r)


def _bs_left(shape_a, shape_b):
    out = []
    for x, y in itertools.zip_longest(shape_a, shape_b, fillvalue=1):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _bs_max(shape_a, shape_b):
    rev = []
    for x, y in itertools.zip_longest(reversed(shape_a), reversed(shape_b), fillvalue=1):
        if x != y and 1 not in (x, y):
            return None
        rev.append(max(x, y))
    return tuple(reversed(rev))


reg("broadcast_shape", [_bs1, _bs2],
    [("returns a list", _bs_list),
     ("aligns on the left", _bs_left),
     ("max() of sizes (wrong for 0 vs 1)", _bs_max)])

reg("batch_outer",
    [lambda a, b: a[:, :, None] * b[:, None, :],
     lambda a, b: torch.bmm(a.unsqueeze(2), b.unsqueeze(1))],
    [("transposed (B, m, n)", lambda a, b: a[:, None, :] * b[:, :, None]),
     ("sums over the batch", lambda a, b: torch.einsum("bi,bj->ij", a, b)),
     ("wrong batch letter (sums b over batch)", lambda a, b: torch.einsum("bi,cj->bij", a, b))])

# ---------------- 04_autograd ----------------
reg("make_trainable",
    [lambda x: x.detach().clone().to(torch.float32).requires_grad_(True),
     lambda x: torch.empty(x.shape, dtype=torch.float32, device=x.device).copy_(x.detach()).requires_grad_()],
    [("x.float().requires_grad_() (same tensor for float32 input)", lambda x: x.float().requires_grad_()),
     ("clone keeps dtype", lambda x: x.detach().clone().requires_grad_()),
     ("float64 copy", lambda x: x.detach().double().requires_grad_())])


def _gof1(x):
    xx = x.detach().clone().requires_grad_(True)
    (xx ** 2 * torch.sin(xx)).sum().backward()
    return xx.grad


def _gof2(x):
    return torch.func.grad(lambda z: (z ** 2 * torch.sin(z)).sum())(x.detach())


def _gof_inplace(x):
    x.requires_grad_(True)
    (x ** 2 * torch.sin(x)).sum().backward()
    return x.grad


def _gof_mean(x):
    xx = x.detach().clone().requires_grad_(True)
    (xx ** 2 * torch.sin(xx)).mean().backward()
    return xx.grad


def _gof_graph(x):
    xx = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad((xx ** 2 * torch.sin(xx)).sum(), xx, create_graph=True)
    return g


reg("grad_of_f", [_gof1, _gof2],
    [("x.requires_grad_() on the caller's x", _gof_inplace),
     ("mean instead of sum", _gof_mean),
     ("create_graph=True: result requires grad", _gof_graph)])


def _sg2(t):
    e = torch.exp(-t.abs())
    return e / (1 + e) ** 2


reg("sigmoid_grad",
    [lambda t: torch.sigmoid(t) * (1 - torch.sigmoid(t)), _sg2],
    [("sigma * (1 - t)", lambda t: torch.sigmoid(t) * (1 - t)),
     ("1 - sigma^2 (tanh confusion)", lambda t: 1 - torch.sigmoid(t) ** 2),
     ("naive exp(-t)/(1+exp(-t))^2 (overflow)", lambda t: torch.exp(-t) / (1 + torch.exp(-t)) ** 2)])


def _png1(w, b, X):
    with torch.no_grad():
        return X @ w + b


def _png_mut(w, b, X):
    w.requires_grad_(False)
    b.requires_grad_(False)
    return X @ w + b


reg("predict_no_graph",
    [_png1, lambda w, b, X: X @ w.detach() + b.detach()],
    [("records a graph", lambda w, b, X: X @ w + b),
     ("switches off requires_grad on w and b", _png_mut),
     ("elementwise X * w + b", lambda w, b, X: (X * w + b).detach())])


def _gd1(w, b, X, y, lr):
    w_ = w.detach().clone().requires_grad_(True)
    b_ = b.detach().clone().requires_grad_(True)
    ((w_ * X + b_ - y) ** 2).mean().backward()
    with torch.no_grad():
        return (w_ - lr * w_.grad, b_ - lr * b_.grad)


def _gd2(w, b, X, y, lr):
    r = w * X + b - y
    return (w - lr * 2 * (r * X).mean(), b - lr * 2 * r.mean())


def _gd_reqgrad(w, b, X, y, lr):
    w_ = w.clone().requires_grad_(True)
    b_ = b.clone().requires_grad_(True)
    ((w_ * X + b_ - y) ** 2).mean().backward()
    return (w_ - lr * w_.grad, b_ - lr * b_.grad)


def _gd_inplace(w, b, X, y, lr):
    r = w * X + b - y
    dw, db = 2 * (r * X).mean(), 2 * r.mean()
    w -= lr * dw
    b -= lr * db
    return (w, b)


def _gd_ascent(w, b, X, y, lr):
    r = w * X + b - y
    return (w + lr * 2 * (r * X).mean(), b + lr * 2 * r.mean())


reg("gd_step", [_gd1, _gd2],
    [("result requires grad", _gd_reqgrad),
     ("updates inputs in place", _gd_inplace),
     ("wrong sign (ascent)", _gd_ascent)])


def _mg1(w, b, X, y):
    r = w * X + b - y
    return (2 * (r * X).mean(), 2 * r.mean())


def _mg2(w, b, X, y):
    n = X.numel()
    dw = 2.0 / n * (w * (X * X).sum() + b * X.sum() - (X * y).sum())
    db = 2.0 / n * (w * X.sum() + n * b - y.sum())
    return (dw, db)


reg("mse_grads", [_mg1, _mg2],
    [("missing factor 2", lambda w, b, X, y: (((w * X + b - y) * X).mean(), (w * X + b - y).mean())),
     ("sum instead of mean", lambda w, b, X, y: (2 * ((w * X + b - y) * X).sum(), 2 * (w * X + b - y).sum())),
     ("Python floats instead of 0-d tensors", lambda w, b, X, y: tuple(v.item() for v in _mg1(w, b, X, y)))])


def _fl1(X, y, lr, num_epochs):
    w = torch.zeros((), dtype=torch.float32, device=X.device, requires_grad=True)
    b = torch.zeros((), dtype=torch.float32, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        loss = ((w * X + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return (w.detach(), b.detach())


def _fl2(X, y, lr, num_epochs):
    w = torch.zeros((), dtype=torch.float32, device=X.device)
    b = torch.zeros((), dtype=torch.float32, device=X.device)
    for _ in range(num_epochs):
        r = w * X + b - y
        w, b = w - lr * 2 * (r * X).mean(), b - lr * 2 * r.mean()
    return (w, b)


def _fl_accum(X, y, lr, num_epochs):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    for _ in range(num_epochs):
        ((w * X + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return (w.detach(), b.detach())


def _fl_off(X, y, lr, num_epochs):
    return _fl2(X, y, lr, num_epochs + 1)


def _fl_req(X, y, lr, num_epochs):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    for _ in range(num_epochs):
        ((w * X + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
    return (w, b)


reg("fit_line", [_fl1, _fl2],
    [("gradients never reset (accumulate)", _fl_accum),
     ("off-by-one: num_epochs + 1 steps", _fl_off),
     ("returns leaves that require grad", _fl_req)])

# ---------------- 05_devices_and_cuda ----------------


def _cd1(available, requested):
    types = {a.split(":")[0] for a in available}
    if requested in ("auto", ""):
        for d in ("cuda", "mps", "cpu"):
            if d in types:
                return d
        return None
    return requested if requested.split(":")[0] in types else None


def _cd2(available, requested):
    rank = {"cuda": 0, "mps": 1, "cpu": 2}
    types = set()
    for a in available:
        try:
            types.add(torch.device(a).type)
        except (RuntimeError, ValueError):
            pass
    if not requested or requested == "auto":
        best = sorted((t for t in types if t in rank), key=rank.get)
        return best[0] if best else None
    try:
        return requested if torch.device(requested).type in types else None
    except (RuntimeError, ValueError):
        return None


def _cd_first(available, requested):
    if requested in ("auto", ""):
        return available[0] if available else None
    return requested if requested.split(":")[0] in available else None


def _cd_exact(available, requested):
    if requested in ("auto", ""):
        for d in ("cuda", "mps", "cpu"):
            if d in available:
                return d
        return None
    return requested if requested in available else None


def _cd_cpu(available, requested):
    r = _cd1(available, requested)
    return "cpu" if r is None else r


reg("choose_device", [_cd1, _cd2],
    [("auto -> available[0] (list order)", _cd_first),
     ("exact match only (cuda:1 refused)", _cd_exact),
     ("falls back to 'cpu' instead of None", _cd_cpu)])

reg("to_cpu_float64",
    [lambda x: x.to("cpu", torch.float64), lambda x: x.cpu().double()],
    [("dtype only (stays on device)", lambda x: x.double()),
     ("device only (dtype kept)", lambda x: x.cpu()),
     ("torch.float is float32", lambda x: x.to("cpu", torch.float))])


def _mb1(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _mb1(v, device) for k, v in batch.items()}
    if isinstance(batch, list):
        return [_mb1(v, device) for v in batch]
    if isinstance(batch, tuple):
        return tuple(_mb1(v, device) for v in batch)
    return batch


def _mb_tuple_list(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _mb_tuple_list(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [_mb_tuple_list(v, device) for v in batch]
    return batch


def _mb_flat(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(v.to(device) if isinstance(v, torch.Tensor) else v for v in batch)
    return batch


def _mb_mut(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        for k in batch:
            batch[k] = _mb_mut(batch[k], device)
        return batch
    if isinstance(batch, list):
        for i in range(len(batch)):
            batch[i] = _mb_mut(batch[i], device)
        return batch
    if isinstance(batch, tuple):
        return tuple(_mb_mut(v, device) for v in batch)
    return batch


reg("move_batch",
    [_mb1, lambda batch, device: tree_map(lambda v: v.to(device) if isinstance(v, torch.Tensor) else v, batch)],
    [("tuples become lists", _mb_tuple_list),
     ("no recursion (one level only)", _mb_flat),
     ("mutates the input dict/list in place", _mb_mut)])

reg("standardize_on_device",
    [lambda x, mean, std: (x - torch.tensor(mean, device=x.device, dtype=x.dtype))
     / torch.tensor(std, device=x.device, dtype=x.dtype),
     lambda x, mean, std: (x - x.new_tensor(mean)) / x.new_tensor(std)],
    [("original bug: constants on the CPU", lambda x, mean, std: (x - torch.tensor(mean)) / torch.tensor(std)),
     ("float64 constants (result float64)", lambda x, mean, std:
      (x - torch.tensor(mean, device=x.device, dtype=torch.float64))
      / torch.tensor(std, device=x.device, dtype=torch.float64)),
     ("precedence x - mean / std", lambda x, mean, std:
      x - torch.tensor(mean, device=x.device) / torch.tensor(std, device=x.device))])

reg("matmul_flops",
    [lambda m, k, n: 2 * m * k * n, lambda m, k, n: sum(2 * k for _ in range(m * n))],
    [("multiplications only", lambda m, k, n: m * k * n),
     ("exact adds m*n*(2k-1)", lambda m, k, n: m * n * (2 * k - 1)),
     ("float result", lambda m, k, n: 2 * m * k * n / 1)])

reg("achieved_tflops",
    [lambda n, seconds: 2 * n ** 3 / seconds / 1e12, lambda n, seconds: (2 * n * n * n) / (seconds * 10 ** 12)],
    [("forgets the 2", lambda n, seconds: n ** 3 / seconds / 1e12),
     ("GFLOP/s (1e9)", lambda n, seconds: 2 * n ** 3 / seconds / 1e9),
     ("n**2 instead of n**3", lambda n, seconds: 2 * n ** 2 / seconds / 1e12)])


def _gw1(sizes, cpu_seconds, gpu_seconds):
    ans = None
    for s, c, g in reversed(list(zip(sizes, cpu_seconds, gpu_seconds))):
        if g < c:
            ans = s
        else:
            break
    return ans


def _gw2(sizes, cpu_seconds, gpu_seconds):
    for i in range(len(sizes)):
        if all(g < c for c, g in zip(cpu_seconds[i:], gpu_seconds[i:])):
            return sizes[i]
    return None


def _gw_first(sizes, cpu_seconds, gpu_seconds):
    for s, c, g in zip(sizes, cpu_seconds, gpu_seconds):
        if g < c:
            return s
    return None


def _gw_ties(sizes, cpu_seconds, gpu_seconds):
    for i in range(len(sizes)):
        if all(g <= c for c, g in zip(cpu_seconds[i:], gpu_seconds[i:])):
            return sizes[i]
    return None


def _gw_index(sizes, cpu_seconds, gpu_seconds):
    for i in range(len(sizes)):
        if all(g < c for c, g in zip(cpu_seconds[i:], gpu_seconds[i:])):
            return i
    return None


reg("gpu_wins_from", [_gw1, _gw2],
    [("first size where GPU is faster (ignores later sizes)", _gw_first),
     ("<= counts ties as wins", _gw_ties),
     ("returns the index, not the size", _gw_index)])

# ---------------- 06_nn_training ----------------


def _mlp2(in_features, hidden, out_features):
    second = nn.Linear(hidden, out_features)  # created first: different init order
    first = nn.Linear(in_features, hidden)
    return nn.Sequential(first, nn.ReLU(), second)


reg("build_mlp",
    [lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o)), _mlp2],
    [("no ReLU", lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.Linear(h, o))),
     ("extra ReLU after output", lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o), nn.ReLU())),
     ("ModuleList instead of Sequential", lambda i, h, o: nn.ModuleList([nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o)]))])


def _ctp2(model):
    total = 0
    for _, p in model.named_parameters():
        if p.requires_grad:
            total += math.prod(p.shape)
    return int(total)


reg("count_trainable_parameters",
    [lambda model: sum(p.numel() for p in model.parameters() if p.requires_grad), _ctp2],
    [("counts frozen ones too", lambda model: sum(p.numel() for p in model.parameters())),
     ("counts tensors, not elements", lambda model: len([p for p in model.parameters() if p.requires_grad])),
     ("state_dict (buffers, everything)", lambda model: sum(v.numel() for v in model.state_dict().values()))])


def _acc2(logits, y):
    rows = logits.tolist()
    ys = y.tolist()
    hits = sum(1 for r, t in zip(rows, ys) if r.index(max(r)) == t)
    return hits / len(ys)


reg("accuracy_from_logits",
    [lambda logits, y: (logits.argmax(dim=1) == y).float().mean().item(), _acc2],
    [("argmax over dim 0", lambda logits, y: (logits.argmax(dim=0) == y).float().mean().item()),
     ("returns a tensor", lambda logits, y: (logits.argmax(dim=1) == y).float().mean()),
     ("count instead of fraction", lambda logits, y: float((logits.argmax(dim=1) == y).sum().item()))])

reg("cross_entropy_from_logits",
    [lambda logits, y: -F.log_softmax(logits, dim=1)[torch.arange(len(y)), y].mean(),
     lambda logits, y: (torch.logsumexp(logits, dim=1) - logits.gather(1, y[:, None]).squeeze(1)).mean()],
    [("log_softmax over dim 0", lambda logits, y: -F.log_softmax(logits, dim=0)[torch.arange(len(y)), y].mean()),
     ("logits[:, y] indexing (n x n)", lambda logits, y: -F.log_softmax(logits, dim=1)[:, y].mean()),
     ("naive log(exp/sum exp) (overflow)", lambda logits, y:
      -torch.log(torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True))[torch.arange(len(y)), y].mean())])


def _sgd1(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def _sgd2(params, lr):
    for p in params:
        p.data.sub_(lr * p.grad)
    return None


def _sgd_rebind(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad


def _sgd_sign(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


def _sgd_ret(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return params


reg("sgd_update", [_sgd1, _sgd2],
    [("rebinds the loop variable", _sgd_rebind),
     ("wrong sign", _sgd_sign),
     ("returns the list instead of None", _sgd_ret)])


def _tob1(model, xb, yb, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _tob2(model, xb, yb, loss_fn, optimizer):
    model.train()
    model.zero_grad(set_to_none=True)
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward()
    value = float(loss.detach())
    optimizer.step()
    return value


def _tob3(model, xb, yb, loss_fn, optimizer):
    model.train()
    logits = model(xb)
    loss = loss_fn(logits, yb)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()  # once per step, at its end: as good as at its start
    return loss.item()


def _tob_zero_before_step(model, xb, yb, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()  # throws away the gradients step() needs
    optimizer.step()
    return loss.item()


def _tob_nozero(model, xb, yb, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def _tob_tensor(model, xb, yb, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def _tob_notrain(model, xb, yb, loss_fn, optimizer):
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


reg("train_on_batch", [_tob1, _tob2, _tob3],
    [("no zero_grad", _tob_nozero),
     ("zero_grad between backward and step", _tob_zero_before_step),
     ("returns the loss tensor", _tob_tensor),
     ("forgets model.train()", _tob_notrain)])


class _WindowDS(Dataset):
    def __init__(self, series, window):
        self.series, self.window = series, window

    def __len__(self):
        return len(self.series) - self.window

    def __getitem__(self, i):
        return self.series[i:i + self.window], self.series[i + self.window]


class _WindowDSLen(_WindowDS):
    def __len__(self):
        return len(self.series) - self.window + 1


class _WindowDSTarget(_WindowDS):
    def __getitem__(self, i):
        return self.series[i:i + self.window], self.series[i + self.window - 1]


reg("make_window_dataset",
    [lambda series, window: _WindowDS(series, window),
     lambda series, window: TensorDataset(series.unfold(0, window, 1)[:-1], series[window:])],
    [("len off by one (+1)", lambda series, window: _WindowDSLen(series, window)),
     ("target is the last value of the window", lambda series, window: _WindowDSTarget(series, window)),
     ("plain list instead of Dataset", lambda series, window:
      [(series[i:i + window], series[i + window]) for i in range(len(series) - window)])])

# ---------------- 07_cifar10 ----------------
reg("to_nchw_float",
    [lambda data: data.permute(0, 3, 1, 2).float() / 255,
     lambda data: data.to(torch.float32).div(255.0).movedim(-1, 1)],
    [("reshape instead of permute", lambda data: data.reshape(data.shape[0], data.shape[3], data.shape[1],
                                                              data.shape[2]).float() / 255),
     ("divides by 256", lambda data: data.permute(0, 3, 1, 2).float() / 256),
     ("float64", lambda data: data.permute(0, 3, 1, 2).double() / 255)])


def _cms2(images):
    c = images.shape[1]
    flat = images.transpose(0, 1).reshape(c, -1)
    return flat.mean(dim=1), flat.std(dim=1)


reg("channel_mean_std",
    [lambda images: (images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))), _cms2],
    [("biased std (correction=0)", lambda images: (images.mean(dim=(0, 2, 3)),
                                                   images.std(dim=(0, 2, 3), correction=0))),
     ("mean of per-image stds", lambda images: (images.mean(dim=(0, 2, 3)), images.std(dim=(2, 3)).mean(0))),
     ("per-image stats dims (1,2,3)", lambda images: (images.mean(dim=(1, 2, 3)), images.std(dim=(1, 2, 3))))])


def _hf1(images, generator):
    mask = (torch.rand(images.shape[0], generator=generator) < 0.5).to(images.device)
    return torch.where(mask.view(-1, 1, 1, 1), images.flip(-1), images)


def _hf2(images, generator):
    r = torch.rand(images.shape[0], generator=generator)
    out = images.clone()
    for i in range(images.shape[0]):
        if r[i] < 0.5:
            out[i] = images[i].flip(-1)
    return out


def _hf_vert(images, generator):
    mask = (torch.rand(images.shape[0], generator=generator) < 0.5).to(images.device)
    return torch.where(mask.view(-1, 1, 1, 1), images.flip(-2), images)


def _hf_inv(images, generator):
    mask = (torch.rand(images.shape[0], generator=generator) >= 0.5).to(images.device)
    return torch.where(mask.view(-1, 1, 1, 1), images.flip(-1), images)


def _hf_inplace(images, generator):
    mask = (torch.rand(images.shape[0], generator=generator) < 0.5).to(images.device)
    images[mask] = images[mask].flip(-1)
    return images


reg("random_hflip", [_hf1, _hf2],
    [("flips height (-2)", _hf_vert),
     ("inverted mask (>= 0.5)", _hf_inv),
     ("modifies the input batch in place", _hf_inplace)])


def _ci1(data, targets, index, mean, std):
    img = data[index].permute(2, 0, 1).float() / 255
    return (img - mean.view(-1, 1, 1).to(img.device)) / std.view(-1, 1, 1).to(img.device), int(targets[index])


def _ci2(data, targets, index, mean, std):
    hwc = data[index].to(torch.float32) / 255.0
    return ((hwc - mean.to(hwc.device)) / std.to(hwc.device)).permute(2, 0, 1), int(targets[index])


def _ci_order(data, targets, index, mean, std):
    img = data[index].permute(2, 0, 1).float()
    return ((img - mean.view(-1, 1, 1)) / std.view(-1, 1, 1)) / 255, int(targets[index])


def _ci_label(data, targets, index, mean, std):
    img, _ = _ci1(data, targets, index, mean, std)
    return img, torch.tensor(targets[index])


def _ci_reshape(data, targets, index, mean, std):
    h, w, c = data.shape[1:]
    img = data[index].reshape(c, h, w).float() / 255
    return (img - mean.view(-1, 1, 1)) / std.view(-1, 1, 1), int(targets[index])


reg("cifar_item", [_ci1, _ci2],
    [("normalises before scaling", _ci_order),
     ("label as a tensor", _ci_label),
     ("reshape instead of permute", _ci_reshape)])


def _ts1(model, loss_fn, optimizer, xb, yb):
    model.train()
    optimizer.zero_grad()
    logits = model(xb)
    loss = loss_fn(logits, yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def _ts2(model, loss_fn, optimizer, xb, yb):
    model.train(True)
    for p in model.parameters():
        p.grad = None
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward()
    optimizer.step()
    return float(loss)


def _ts_zero_after_step(model, loss_fn, optimizer, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()  # zeroed once per step, for the next one
    return loss.item()


def _ts_late_zero(model, loss_fn, optimizer, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _ts_tensor(model, loss_fn, optimizer, xb, yb):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss


def _ts_nozero(model, loss_fn, optimizer, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def _ts_no_train_mode(model, loss_fn, optimizer, xb, yb):
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


reg("train_step", [_ts1, _ts2, _ts_zero_after_step],
    [("zero_grad between backward and step", _ts_late_zero),
     ("returns the loss tensor", _ts_tensor),
     ("no zero_grad", _ts_nozero),
     ("no model.train() (left in eval mode)", _ts_no_train_mode)])


def _pca1(preds, labels, num_classes):
    out = torch.zeros(num_classes, dtype=torch.float32)
    for c in range(num_classes):
        m = labels == c
        if m.any():
            out[c] = (preds[m] == c).float().mean()
    return out


def _pca2(preds, labels, num_classes):
    total = torch.bincount(labels, minlength=num_classes)
    hit = torch.bincount(labels[preds == labels], minlength=num_classes)
    return torch.where(total > 0, hit / total.clamp(min=1), torch.zeros(())).to(torch.float32)


def _pca_prec(preds, labels, num_classes):
    total = torch.bincount(preds, minlength=num_classes)
    hit = torch.bincount(labels[preds == labels], minlength=num_classes)
    return torch.where(total > 0, hit / total.clamp(min=1), torch.zeros(())).float()


def _pca_nan(preds, labels, num_classes):
    total = torch.bincount(labels, minlength=num_classes)
    hit = torch.bincount(labels[preds == labels], minlength=num_classes)
    return (hit / total).float()


def _pca_minlen(preds, labels, num_classes):
    total = torch.bincount(labels)
    hit = torch.bincount(labels[preds == labels], minlength=len(total))
    return torch.where(total > 0, hit / total.clamp(min=1), torch.zeros(())).float()


reg("per_class_accuracy", [_pca1, _pca2],
    [("divides by predicted counts (precision)", _pca_prec),
     ("0/0 = nan for empty classes", _pca_nan),
     ("bincount without minlength=num_classes", _pca_minlen)])


def _cm2(preds, labels, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[t, p] += 1
    return cm


def _cm_dup(preds, labels, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    cm[labels, preds] += 1
    return cm


reg("confusion_matrix",
    [lambda preds, labels, num_classes: torch.bincount(labels * num_classes + preds,
                                                        minlength=num_classes ** 2).view(num_classes, num_classes),
     _cm2],
    [("transposed [pred, true]", lambda preds, labels, num_classes: torch.bincount(
        preds * num_classes + labels, minlength=num_classes ** 2).view(num_classes, num_classes)),
     ("cm[labels, preds] += 1 (duplicates lost)", _cm_dup),
     ("float32 counts", lambda preds, labels, num_classes: _cm2(preds, labels, num_classes).float())])


def _tk2(logits, labels, k):
    top = torch.argsort(logits, dim=1, descending=True, stable=True)[:, :k]
    hits = sum(1 for row, lab in zip(top.tolist(), labels.tolist()) if lab in row)
    return hits / len(labels)


reg("top_k_accuracy",
    [lambda logits, labels, k: (logits.topk(k, dim=1).indices == labels[:, None]).any(dim=1).float().mean().item(),
     _tk2],
    [("ignores k (argmax only)", lambda logits, labels, k: (logits.argmax(1) == labels).float().mean().item()),
     ("returns a tensor", lambda logits, labels, k: (logits.topk(k, dim=1).indices == labels[:, None])
      .any(dim=1).float().mean()),
     ("off-by-one topk(k - 1)", lambda logits, labels, k: (logits.topk(max(k - 1, 0), dim=1).indices
                                                           == labels[:, None]).any(dim=1).float().mean().item())])

VARIANTS = V
