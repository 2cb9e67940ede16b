"""The kernel-side exporter, unit tested in the grader's own process (no kernel)."""
from __future__ import annotations

import ast
import io

import numpy as np
import pytest
import torch

from course.grade import exporter as X
from course.grade.discover import EXPORTER
from course.grade.judge import read_export
from course.grade.runner import export_code
from helpers.references import NUMPY_TAG, unpack


def test_plain_copies_tensors_numbers_and_containers():
    t = torch.arange(3.0, requires_grad=True)
    out = X.plain({"a": [t * 2, (1, 2.5, None, "s", True)], 3: np.float32(1.5)})
    assert type(out["a"][0]) is torch.Tensor and not out["a"][0].requires_grad
    assert out["a"][1] == (1, 2.5, None, "s", True) and out[3] == 1.5
    assert type(X.plain(torch.nn.Parameter(torch.ones(2)))) is torch.Tensor


def test_plain_tags_numpy_arrays_so_the_grader_can_unpack_them():
    arr = np.arange(4, dtype=np.int16).reshape(2, 2)
    out = X.plain(arr)
    assert set(out) == {NUMPY_TAG} and X.NUMPY_TAG == NUMPY_TAG
    back = unpack(out)
    assert isinstance(back, np.ndarray) and back.dtype == np.int16 and (back == arr).all()
    arr[0, 0] = 99
    assert back[0, 0] == 0  # a copy, not a view of the student's array


class _LiarTensor(torch.Tensor):
    def __eq__(self, other):
        return True


class _Liar:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, why", [
    (torch.zeros(2).as_subclass(_LiarTensor), "tensor subclass"),
    (_Liar(), "_Liar"),
    ({object(): 1}, "key"),
    (np.array([object()], dtype=object), "ndarray"),
])
def test_plain_rejects_anything_else(value, why):
    with pytest.raises(TypeError, match=why):
        X.plain(value)


def test_plain_rejects_deep_nesting():
    deep: list = []
    for _ in range(X.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(TypeError, match="nested"):
        X.plain(deep)


def test_error_text_survives_a_hostile_str():
    class Nasty(Exception):
        def __str__(self):
            raise RuntimeError("no")

    assert X.error_text(Nasty()) == "Nasty" and X.error_text(ValueError("x" * 500)).startswith("ValueError: x")
    assert len(X.error_text(ValueError("x" * 500))) == 300


def test_answer_records_cover_missing_not_callable_and_each_failure():
    ns = {"f": 3}
    assert X.answer_records(ns, "01_tensors", "tensor_facts", [0])[0]["status"] == "missing"
    assert X.answer_records(ns, "01_tensors", "f", [0]) == [{"seed": -1, "status": "not_callable", "message": "int"}]

    class Spec:
        def run(self, fn, seed):
            return fn(seed)

    def raises(exc):
        def fn(seed):
            if seed == 2:
                raise exc
            return torch.tensor(seed)
        return fn

    stub = NotImplementedError("tensor_facts: replace this line with your code")  # what the stub raises
    statuses = [[r["status"] for r in X.run_cases(Spec(), raises(e), [1, 2, 3])]
                for e in (stub, NotImplementedError("not for this backend"), KeyboardInterrupt(), ValueError("v"))]
    assert statuses == [["value", "not_attempted"], ["value", "exception"], ["value", "timeout"],
                        ["value", "exception"]]
    assert X.run_cases(Spec(), lambda s: _Liar(), [5])[0]["status"] == "not_plain"


def test_export_answers_writes_what_the_grader_reads(tmp_path):
    ns = {"tensor_facts": lambda x: (x.ndim, x.numel(), tuple(x.shape))}
    path = tmp_path / "tensor_facts.pt"
    X.export_answers(ns, "01_tensors", "tensor_facts", [0, 1], str(path))
    data, err = read_export(path.read_bytes())
    assert not err and [r["seed"] for r in data["records"]] == [0, 1]
    assert all(r["status"] == "value" for r in data["records"])


def test_the_exporter_needs_only_torch_numpy_and_helpers_and_its_cell_compiles(tmp_path):
    tree = ast.parse(EXPORTER.read_text())
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert roots <= {"__future__", "typing", "torch", "numpy", "helpers", "importlib"}, roots
    code = export_code("01_tensors", "tensor_facts", [0], tmp_path / "x.pt")
    compile(code, "cell", "exec")
    ns = {"get_ipython": lambda: type("IP", (), {"user_ns": {}})()}
    exec(code, ns)  # noqa: S102 - our own exporter, as the kernel runs it
    data, err = read_export((tmp_path / "x.pt").read_bytes())
    assert not err and data["records"][0]["status"] == "missing" and "_course_ns" not in ns
    assert io  # keep the import list honest
