import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffnn.core import DataSpec, build_data, csvdata, datasets
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


# --------------------------------------------------------------------------- fast path == exact


def assert_same(fast, exact):
    assert fast.task == exact.task and fast.n_classes == exact.n_classes
    assert fast.class_names == exact.class_names
    assert fast.feature_names == exact.feature_names
    assert (fast.target, fast.path) == (exact.target, exact.path)
    for a, b in ((fast.X, exact.X), (fast.y, exact.y)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.flags.c_contiguous and b.flags.c_contiguous
        assert np.array_equal(a, b)
        assert np.array_equal(np.signbit(a), np.signbit(b))  # -0.0 stays -0.0


SAME_FILES = {
    "text classes": (b"a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,emu\n", "kind", "auto"),
    "text classes, spaces": (b" a , b ,kind\n 1 ,\t2, dog \n3,4 ,cat\n5,6,dog\n7,8,\tdog\n",
                             "kind", "auto"),
    "text and numbers are names": (b"x,y\n1,10\n2,9\n3,x\n4,10.0\n", "y", "auto"),
    "integer classes": (b"x,y\n0,10\n1,2\n2,10\n3,2.0\n4,-0\n5,1e1\n", "y", "auto"),
    "integer target first": (b"label,x,z\n1,0.5,-0.0\n0,1.5,2e-3\n1,-7,1E5\n", "label", "auto"),
    "regression": (b"x,y\n0,0.5\n1,1.25\n2,3\n3,-1e100\n", "y", "auto"),
    "many integers are regression": (
        ("x,y\n" + "".join(f"{i},{i * 3}\n" for i in range(MAX_CLASSES + 1))).encode(), "y",
        "auto"),
    "explicit regression of integers": (b"x,y\n0,1\n1,2\n2,1\n", "y", "regression"),
    "explicit classification of fractions": (
        b"x,y\n0,0.5\n1,1.5\n2,.5\n3,10.5\n", "y", "classification"),
    "explicit classification of integers": (b"x,y\n0,1\n1,2.0\n2,1\n", "y", "classification"),
    "quoted (R style)": (
        b'"x","y","name"\n"1",2,"a, b"\n3,"4","c"\n5,6,"say ""hi"""\n7,8,"a, b"\n',
        "name", "auto"),
    "quoted numeric target": (b'"x","y"\n1,"0"\n2,"1"\n3,"0"\n', "y", "auto"),
    "quoted newline in a class name": (b'x,y\n1,"two\nlines"\n2,b\n3,"two\nlines"\n', "y",
                                       "auto"),
    "CRLF": (b"x,z,y\r\n1,2,a\r\n3,4,b\r\n5,6,a\r\n", "y", "auto"),
    "CRLF, no trailing newline": (b"x,z,y\r\n1,2,0.5\r\n3,4,1.5\r\n5,6,2.25", "y", "auto"),
    "CR only": (b"x,y\r1,a\r2,b\r", "y", "auto"),
    "no trailing newline": (b"x,y\n1,a\n2,b", "y", "auto"),
    "BOM, blank lines": (b'\xef\xbb\xbf"x","name"\n\n1,"a, b"\n2,c\n\n', "name", "auto"),
    "blank lines before the header": (b"\n\r\n\nx,y\n\n1,0\n\n2,1\n\n\n", "y", "auto"),
    "one data row, two classes impossible": (b"x,y\n1,0.25\n", "y", "auto"),
    "a target only Python reads as numbers": (b"x,y\n1,0\n2,1_0\n3,0\n", "y", "auto"),
    "inf is a class name": (b"x,y\n1,inf\n2,x\n3,x\n", "y", "auto"),
    "unicode names": ("x,espèce\n1,café\n2,thé\n3,café\n".encode(), "espèce", "auto"),
}


@pytest.mark.parametrize("name", sorted(SAME_FILES))
def test_fast_path_gives_the_exact_parsers_arrays(tmp_path, warnings_are_errors, name):
    content, target, task = SAME_FILES[name]
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    fast = csvdata._load_fast(path, target, task)
    assert fast is not None, "the fast path should read this file"
    assert_same(fast, csvdata._load_exact(path, target, task))
    assert_same(load_csv(path, target, task), fast)


def test_fast_path_on_a_larger_file(tmp_path, warnings_are_errors):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 3, size=(3000, 3))
    labels = rng.integers(0, 4, 3000).tolist()
    rows = [f"{a!r},{b:.6f},{c:.3e},{k}" for (a, b, c), k in zip(X.tolist(), labels, strict=True)]
    path = write(tmp_path, "a,b,c,k\n" + "\n".join(rows) + "\n")
    for task in ("auto", "regression"):
        fast = csvdata._load_fast(path, "k", task)
        assert fast is not None
        assert_same(fast, csvdata._load_exact(path, "k", task))
    assert np.array_equal(load_csv(path, "k").X[:, 0], X[:, 0])  # repr round-trips exactly


# Files the exact parser reads or refuses but the fast path leaves to it.
DECLINED = [
    "a,y\n1,x\nfoo,y\n",                  # text in a feature
    "a,y\n1,x\ninf,y\n",
    "a,y\n1,x\nnan,y\n",
    "a,b,y\n1,2,x\n3,,y\n",               # missing value
    "a,y\n1,x\n2,NA\n",
    "a,y\n1,0\n2,nan\n",
    "a,y\n1,x\n2,x\n",                    # a single class
    "a,y\n1,1\n2,1\n",
    "a,y\n1,x\n2\n",                      # ragged
    "a,y\n1,x,3\n2,y,4\n",                # every row longer than the header
    "a,y\n1,x\n2,y,\n",
    "a,y\n1,x\n1e308,y\n",                # too large
    "a,y\n1,0.5\n2,1e308\n",
    "a,y\n",                              # header only
    "a,y\n\n\r\n",
    "a,y\n  \n",                          # a blank-looking row only the exact parser skips
    "a,y\n1,x\n , \n2,y\n",
    "a,y\n1_0,x\n2,y\n",                  # Python reads 1_0 and ١ as numbers, NumPy does not
    "a,y\n\u0661,x\n2,y\n",
    "a,y\n1,inf\n2,0\n",                  # 'inf' is a class name
    "a,y\n" + "".join(f"{i},c{i}\n" for i in range(MAX_CLASSES + 1)),  # too many classes
    "a,y\n0,b\n" + "".join(f"{i},{' ' * i}a\n" for i in range(1001)),  # 1001 spellings of a
    "a,y\n1,x\n2,cat\n",                  # regression of text (task below)
    "1,2\n3,4\n",                         # no header
    "a,a,y\n1,2,x\n",
    "y\nx\nz\n",
    "a,b\n1,2\n",                         # no column y
]


@pytest.mark.parametrize("text", DECLINED)
def test_fast_path_leaves_problems_and_oddities_to_the_exact_parser(
    tmp_path, warnings_are_errors, text
):
    path = write(tmp_path, text)
    task = "regression" if "cat" in text else "auto"
    assert csvdata._load_fast(path, "y", task) is None
    try:
        exact = csvdata._load_exact(path, "y", task)
    except CsvError as error:
        with pytest.raises(CsvError) as info:
            load_csv(path, "y", task)
        assert str(info.value) == str(error)
    else:
        assert_same(load_csv(path, "y", task), exact)


def test_fast_path_on_unreadable_files(tmp_path):
    assert csvdata._load_fast(tmp_path / "nope.csv", "y", "auto") is None
    (tmp_path / "bad.csv").write_bytes(b"a,y\n1,\xff\n2,x\n")
    assert csvdata._load_fast(tmp_path / "bad.csv", "y", "auto") is None
    with pytest.raises(CsvError, match="not a UTF-8 text file"):
        load_csv(tmp_path / "bad.csv", "y")


NUMBER = st.one_of(
    st.integers(-3, 3).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["-0", "0.0", "2.", ".5", " 1 ", "\t2", "1e5", "1E-3", '"1"', "1e100"]),
)
LABEL = st.sampled_from(["cat", "dog", " dog", "a b", '"a,b"', '"a""b"', '"a\nb"', '"a\r\nb"',
                         "0", "1", "2.0", "inf", "1_0"])
ODD = st.sampled_from(["1e308", "1_0", "NA", "", "?", "nan", "inf", "cat", "a,b", '"', 'x"y',
                       '"q"r', "\u00a01", "\u0661", "\x0c", "#1", " "])


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(1, 3),
    target_at=st.integers(0, 3),
    data=st.data(),
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\n \n"]), min_size=1),
    task=st.sampled_from(csvdata.TASKS),
    bom=st.booleans(),
    last_newline=st.booleans(),
)
def test_fast_path_never_disagrees_with_the_exact_parser(
    tmp_path_factory, width, target_at, data, endings, task, bom, last_newline
):
    def cell(usual):  # now and then an odd cell
        return data.draw(ODD if data.draw(st.integers(0, 39)) == 20 else usual)

    target_at = min(target_at, width)
    target_cells = data.draw(st.sampled_from([LABEL, NUMBER, st.one_of(LABEL, NUMBER)]))
    rows = []
    for _ in range(data.draw(st.integers(1, 10))):
        row = [cell(NUMBER) for _ in range(width)]
        row.insert(target_at, cell(target_cells))
        if data.draw(st.integers(0, 39)) == 20:  # now and then a ragged row
            row = row[:-1] if data.draw(st.booleans()) else [*row, "1"]
        rows.append(row)
    lines = [",".join(f"c{i}" for i in range(width + 1))] + [",".join(row) for row in rows]
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    if not last_newline:
        text = text.rstrip("\r\n")
    path = tmp_path_factory.mktemp("fuzz") / "d.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    target = f"c{target_at}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = csvdata._load_fast(path, target, task)
        if fast is not None:
            assert_same(fast, csvdata._load_exact(path, target, task))
