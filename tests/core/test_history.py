"""History: preallocated NumPy columns, their views, memory per epoch, load and CSV bytes."""

import math

import numpy as np
import pytest

from ffnn.core import History
from ffnn.core.serialisation import history_csv_bytes, read_history_csv


def row(i: int, **values) -> dict:
    return {"epoch": i + 1, "train_loss": 1.0 / (i + 1), "test_loss": math.nan,
            "train_metric": 0.5 + i * 1e-6, "test_metric": 0.25, "learning_rate": 0.1 * 0.99**i,
            **values}


def filled(n: int) -> History:
    history = History()
    for i in range(n):
        history.append(**row(i))
    return history


def test_a_hundred_thousand_epochs_cost_at_most_64_bytes_each():
    n = 100_000
    history = filled(n)
    assert len(history) == n
    # Measured from what is allocated (the capacity), not from the filled rows: 48 bytes a
    # row, and the columns grow by a quarter, so at most 1.25 × 48 = 60 bytes an epoch.
    assert history.capacity >= n
    assert history.nbytes == history.capacity * 48
    assert history.nbytes <= 64 * n
    assert history.epoch.dtype == np.int64 and history.train_loss.dtype == np.float64
    assert history.epoch[-1] == n and history.train_loss[-1] == 1.0 / n
    assert np.array_equal(history.epoch, np.arange(1, n + 1))


def test_growth_is_geometric():
    history = History()
    capacities = {history.capacity}
    for i in range(10_000):
        history.append(**row(i))
        capacities.add(history.capacity)
        assert history.capacity <= 1.25 * len(history) + History.MIN_CAPACITY
    assert len(capacities) < 25  # a handful of reallocations, not one per append


def test_columns_are_read_only_views_of_the_filled_rows():
    history = filled(3)
    loss = history.train_loss
    assert isinstance(loss, np.ndarray) and len(loss) == 3
    assert loss[-1] == pytest.approx(1 / 3) and loss[1:].tolist() == [0.5, 1 / 3]
    assert np.asarray(history.epoch).tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        loss[0] = 5.0
    for i in range(3, 500):  # appends, and growth past the first capacity
        history.append(**row(i))
    assert loss.tolist() == [1.0, 0.5, 1 / 3]  # the earlier view keeps its rows
    assert len(history.train_loss) == 500


def test_empty_history():
    history = History(metric_name="r2")
    assert len(history) == 0 and history.last() is None
    assert history.train_loss.size == 0 and history.metric_name == "r2"
    assert history.as_dict() == {name: [] for name in History.COLUMNS}


def test_as_dict_and_last_give_python_numbers():
    history = filled(2)
    data = history.as_dict()
    assert list(data) == list(History.COLUMNS)
    assert data["epoch"] == [1, 2] and type(data["epoch"][0]) is int
    assert type(data["train_loss"][0]) is float
    last = history.last()
    assert last == {**row(1), "test_loss": last["test_loss"]} and math.isnan(last["test_loss"])
    assert type(last["epoch"]) is int and type(last["learning_rate"]) is float


def test_a_row_with_a_missing_value_is_refused_whole():
    history = filled(2)
    bad = row(2)
    del bad["learning_rate"]
    with pytest.raises(KeyError):
        history.append(**bad)
    assert len(history) == 2 and history.last()["epoch"] == 2


def test_load_replaces_everything():
    history = filled(5)
    old_view = history.train_loss
    history.load({"epoch": [1, 2], "train_loss": [3.0, 2.0], "test_loss": [4.0, 3.5],
                  "train_metric": [0.1, 0.2], "test_metric": [0.0, 0.1],
                  "learning_rate": [0.1, 0.1], "metric_name": "r2"})
    assert len(history) == 2 and history.metric_name == "r2"
    assert history.train_loss.tolist() == [3.0, 2.0] and history.epoch.dtype == np.int64
    assert len(old_view) == 5  # views taken before a load keep their rows
    history.append(**row(2))
    assert history.epoch.tolist() == [1, 2, 3]


def test_load_fills_absent_columns_and_refuses_ragged_ones():
    history = History()
    history.load({"train_loss": [1.0, 0.5]})
    assert history.epoch.tolist() == [1, 2]
    assert np.isnan(history.test_loss).all() and len(history.learning_rate) == 2
    with pytest.raises(ValueError, match="different lengths"):
        history.load({"epoch": [1, 2], "train_loss": [1.0]})
    assert len(history) == 2  # unchanged


def test_keyword_columns_and_assigning_a_whole_column():
    history = History(metric_name="r2", epoch=[1, 2, 3], train_loss=[3.0, 2.0, 1.0])
    assert len(history) == 3 and history.train_loss[0] == 3.0
    history.train_loss = [1.0, math.nan, math.inf]
    assert history.train_loss[0] == 1.0 and math.isinf(history.train_loss[2])
    with pytest.raises(ValueError, match="needs 3 values"):
        history.train_loss = [1.0]
    with pytest.raises(TypeError):
        History(losses=[1.0])


# The bytes the list-based History (before the NumPy columns) wrote for these rows.
GOLDEN_CSV = b"""\
epoch,train_loss,test_loss,train_r2,test_r2,learning_rate
1,0.1,nan,0.1,0.5,0.1
2,nan,nan,nan,0.5,0.09000000000000001
3,inf,nan,inf,0.5,0.08100000000000002
4,-inf,nan,-inf,0.5,0.0729
5,1e-320,nan,1e-320,0.5,0.06561
6,1e+300,nan,1e+300,0.5,0.05904900000000001
7,0.10000000149011612,nan,0.10000000149011612,0.5,0.05314410000000001
8,2.0,nan,2.0,0.5,0.04782969000000001
9,-0.0,nan,-0.0,0.5,0.04304672100000001
10,0.3333333333333333,nan,0.3333333333333333,0.5,0.03874204890000001
"""


def test_history_csv_bytes_are_those_of_the_list_based_history():
    values = [0.1, math.nan, math.inf, -math.inf, 1e-320, 1e300, np.float32(0.1), 2.0, -0.0,
              np.float64(1 / 3)]
    history = History(metric_name="r2")
    for i, v in enumerate(values):
        history.append(epoch=i + 1, train_loss=v, test_loss=math.nan, train_metric=v,
                       test_metric=0.5, learning_rate=0.1 * 0.9**i)
    assert history_csv_bytes(history) == GOLDEN_CSV
    again = History()
    again.load(read_history_csv(GOLDEN_CSV.decode(), "golden"))
    assert again.metric_name == "r2" and history_csv_bytes(again) == GOLDEN_CSV
