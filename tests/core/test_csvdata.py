import warnings
from pathlib import Path

import numpy as np
import pytest

from ffnn.core import DataSpec, build_data, datasets
from ffnn.core.csvdata import MAX_CLASSES, MAX_MAGNITUDE, CsvError, load_csv, read_columns

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_string_target_becomes_sorted_class_names(tmp_path):
    path = write(tmp_path, "a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,emu\n")
    data = load_csv(path, "kind")
    assert data.task == "classification"
    assert data.class_names == ["cat", "dog", "emu"]
    assert data.y.tolist() == [1, 0, 1, 2]
    assert data.feature_names == ["a", "b"]
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert data.n_classes == 3


def test_target_column_may_be_anywhere(tmp_path):
    path = write(tmp_path, "label,x\n1,0.5\n0,1.5\n")
    data = load_csv(path, "label")
    assert data.feature_names == ["x"]
    assert data.X[:, 0].tolist() == [0.5, 1.5]
    assert data.y.tolist() == [1, 0]


def test_integer_target_is_classification_in_numeric_order(tmp_path):
    path = write(tmp_path, "x,y\n0,10\n1,2\n2,10\n3,2.0\n")
    data = load_csv(path, "y")
    assert data.task == "classification"
    assert data.class_names == ["2", "10"]  # numeric, not string, order
    assert data.y.tolist() == [1, 0, 1, 0]


def test_fractional_target_is_regression(tmp_path):
    path = write(tmp_path, "x,y\n0,0.5\n1,1.25\n2,3\n")
    data = load_csv(path, "y")
    assert data.task == "regression"
    assert data.class_names == []
    assert data.y.dtype == np.float64
    assert data.y.tolist() == [0.5, 1.25, 3.0]


def test_many_distinct_integers_are_regression_in_auto(tmp_path):
    rows = "\n".join(f"{i},{i * 3}" for i in range(MAX_CLASSES + 1))
    data = load_csv(write(tmp_path, "x,y\n" + rows + "\n"), "y")
    assert data.task == "regression"


def test_explicit_tasks(tmp_path):
    path = write(tmp_path, "x,y\n0,1\n1,2\n2,1\n")
    assert load_csv(path, "y", task="regression").task == "regression"
    frac = write(tmp_path, "x,y\n0,0.5\n1,1.5\n2,0.5\n", "frac.csv")
    data = load_csv(frac, "y", task="classification")
    assert data.class_names == ["0.5", "1.5"]


def test_blank_lines_quotes_and_bom_are_handled(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b'\xef\xbb\xbf"x","name"\n\n1,"a, b"\n2,c\n\n')
    data = load_csv(path, "name")
    assert data.class_names == ["a, b", "c"]
    assert data.X[:, 0].tolist() == [1, 2]


def test_sample_assets_load():
    flowers = load_csv(ASSETS / "flowers.csv", "species")
    assert flowers.X.shape == (150, 4)
    assert flowers.class_names == ["setosa", "versicolor", "virginica"]
    assert np.bincount(flowers.y).tolist() == [50, 50, 50]
    exams = load_csv(ASSETS / "exams.csv", "admitted")
    assert exams.X.shape == (200, 2)
    assert exams.task == "classification" and exams.class_names == ["0", "1"]


@pytest.mark.parametrize(
    "text, target, expected",
    [
        ("", "y", "the file is empty"),
        ("\n\n", "y", "the file is empty"),
        ("1,2\n3,4\n", "y", "no header row"),
        ("a,y\n", "y", "header only"),
        ("a,b\n1,2\n", "y", "no column named 'y' (columns: a, b)"),
        ("a,y\n1,x\nfoo,y\n", "y", "line 3, column 'a': 'foo' is not a finite number"),
        ("a,y\n1,x\ninf,y\n", "y", "line 3, column 'a': 'inf' is not a finite number"),
        ("a,b,y\n1,2,x\n3,,y\n", "y", "missing value at line 3, column 'b'"),
        ("a,y\n1,x\n2,NA\n", "y", "missing value at line 3, column 'y'"),
        ("a,y\n1,x\n2,x\n", "y", "single class ('x')"),
        ("a,y\n1,x\n2\n", "y", "line 3 has 1 fields, the header has 2"),
        ("a,a,y\n1,2,x\n", "y", "names column 'a' twice"),
        ("y\nx\nz\n", "y", "need at least one feature"),
        ("a,y\n1,cat\n2,dog\n", "y", None),  # placeholder replaced below for regression
    ],
)
def test_bad_files_give_one_line_naming_file_and_problem(tmp_path, text, target, expected):
    path = write(tmp_path, text)
    if expected is None:
        with pytest.raises(CsvError) as info:
            load_csv(path, target, task="regression")
        expected = "target column 'y' is not numeric (line 2: 'cat')"
    else:
        with pytest.raises(CsvError) as info:
            load_csv(path, target)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file(tmp_path):
    with pytest.raises(CsvError, match=r"nope\.csv: file not found"):
        load_csv(tmp_path / "nope.csv", "y")


def test_a_file_used_as_a_folder_is_a_message_not_a_traceback(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CsvError, match=r"data\.csv: file not found \(a folder on its path"):
        load_csv(tmp_path / "afile" / "data.csv", "y")


def test_read_columns_reads_the_header_only(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("\n a , b,c\n1,2,x\n1,2,3,4,oops\n")
    assert read_columns(path) == ["a", "b", "c"]
    (tmp_path / "one.csv").write_text("a\n1\n")
    with pytest.raises(CsvError, match="only one column"):
        read_columns(tmp_path / "one.csv")
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(CsvError, match="empty.csv: the file is empty"):
        read_columns(tmp_path / "empty.csv")


def test_more_than_max_classes(tmp_path):
    rows = "\n".join(f"{i},c{i}" for i in range(MAX_CLASSES + 1))
    path = write(tmp_path, "x,y\n" + rows + "\n")
    with pytest.raises(CsvError, match=rf"has {MAX_CLASSES + 1} classes; at most {MAX_CLASSES}"):
        load_csv(path, "y")


def test_bad_task(tmp_path):
    with pytest.raises(CsvError, match="task must be one of auto, classification, regression"):
        load_csv(write(tmp_path, "x,y\n1,2\n"), "y", task="clustering")


# --------------------------------------------------------------------------- huge numbers


@pytest.fixture
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize(
    "text, task, cell",
    [
        ("a,b,y\n1,2,x\n3,1e308,y\n", "auto", "line 3, column 'b': '1e308'"),
        ("a,b,y\n-1e308,2,x\n3,4,y\n", "auto", "line 2, column 'a': '-1e308'"),
        ("a,b,y\n1,2,x\n3,1E101,y\n", "auto", "line 3, column 'b': '1E101'"),
        ("a,y\n1,0.5\n2,1e308\n", "auto", "line 3, column 'y': '1e308'"),
        ("a,y\n1,0\n2,1\n3,-1e200\n", "regression", "line 4, column 'y': '-1e200'"),
    ],
)
def test_numbers_whose_square_overflows_are_refused(
    tmp_path, warnings_are_errors, text, task, cell
):
    path = write(tmp_path, text)
    with pytest.raises(CsvError) as info:
        load_csv(path, "y", task=task)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert f"{cell} is too large (numbers must lie within -{MAX_MAGNITUDE:g}.." in message


def test_a_huge_class_label_is_only_a_name(tmp_path, warnings_are_errors):
    data = load_csv(write(tmp_path, "a,y\n1,0\n2,1e308\n3,0\n"), "y")
    assert data.task == "classification"
    assert data.class_names == ["0", str(int(1e308))]


def test_numbers_at_the_bound_standardise_without_a_warning(tmp_path, warnings_are_errors):
    rows = [f"{sign * MAX_MAGNITUDE!r},{i % 7},{-sign * MAX_MAGNITUDE!r}"
            for i, sign in enumerate([1, -1, 1, 1, -1, 1] * 50)]
    path = write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n")
    data = load_csv(path, "y", task="regression")
    assert np.abs(data.X[:, 0]).max() == MAX_MAGNITUDE == np.abs(data.y).max()
    X_s, _, mean, std = datasets.standardize(data.X)
    assert np.isfinite(X_s).all() and np.isfinite(mean).all() and np.isfinite(std).all()
    built = build_data(DataSpec(name="csv", path=str(path), target="y", task="regression"))
    assert np.isfinite(built.X_train).all() and np.isfinite(built.X_test).all()
    assert np.abs(built.X_train).max() < 10  # standardised, not overflowed
