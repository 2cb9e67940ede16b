"""helpers.compare: what differs is said precisely, the expected values never."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.compare import describe, difference


def test_equal_values_give_no_message():
    x = torch.arange(6.).reshape(2, 3)
    assert difference(x.clone(), x) is None
    assert difference(x + 1e-8, x) is None
    assert difference([1, 2.0, "a", None, True], [1, 2.0, "a", None, True]) is None
    assert difference({"a": (1, torch.ones(2))}, {"a": (1, torch.ones(2))}) is None
    assert difference(torch.Size([2, 3]), (2, 3)) is None


@pytest.mark.parametrize("got, expected, message", [
    (torch.zeros(3, 4), torch.zeros(4, 3), "shape (3, 4), expected (4, 3): did you transpose"),
    (torch.zeros(1, 3), torch.zeros(3), "extra or missing size-1 dimension"),
    (torch.zeros(2, 6), torch.zeros(3, 4), "same number of elements"),
    (torch.zeros(3), torch.zeros(3, 4), "1 dimensions instead of 2"),
    (torch.zeros(3, dtype=torch.int64), torch.zeros(3), "dtype torch.int64, expected torch.float32"),
    (np.zeros(3), torch.zeros(3), "a NumPy array, expected a torch tensor"),
    (torch.tensor(3.0), 3.0, "use .item()"),
    ([1, 2], [1, 2, 3], "2 items, expected 3"),
    ({"a": 1}, {"b": 1}, "keys differ"),
    ("x", None, "expected a NoneType"),
    (True, 1, "expected a Python number"),
])
def test_mismatches_are_explained(got, expected, message):
    assert message in difference(got, expected)


def test_value_differences_count_and_locate_without_revealing_expected():
    expected = torch.tensor([[1.5, 2.25], [3.125, 4.0625]])
    got = expected.clone()
    got[1, 0] = 99.0
    msg = difference(got, expected)
    assert msg == "1 of 4 values differ (first at index (1, 0)); shape and dtype are right"
    for value in ("3.125", "3.12", "1.5", "4.06"):
        assert value not in msg


def test_tolerances_apply_to_floats_not_ints():
    assert difference(torch.tensor([1.001]), torch.tensor([1.0]), rtol=1e-2) is None
    assert difference(torch.tensor([1.001]), torch.tensor([1.0])) is not None
    assert difference(torch.tensor([2]), torch.tensor([1])) is not None
    assert difference(1.0 + 1e-9, 1.0) is None and difference(3, 4) == "not the expected integer"
    assert difference(torch.tensor([float("nan")]), torch.tensor([float("nan")])) is None


def test_nested_location_is_named():
    assert difference((1, [torch.zeros(2)]), (1, [torch.ones(2)])).startswith("item 1: item 0: 2 of 2 values")


def test_describe_names_type_and_shape_only():
    assert describe(torch.zeros(2, 3)) == "tensor of shape (2, 3) and dtype torch.float32"
    assert describe([1, 2]) == "list of length 2"


def test_an_uncomparable_expected_value_is_a_programming_error():
    with pytest.raises(TypeError):
        difference(object(), object())
