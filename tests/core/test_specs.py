"""The settings table, the specs' validation, the output layer, and specs <-> TOML tables."""

import tomllib
from dataclasses import fields, replace

import pytest
import tomli_w

from ffnn.core import SETTINGS, DataSpec, Experiment, NetSpec, SpecError, TrainConfig
from ffnn.core.fields import is_int
from ffnn.core.losses import DEFAULT_LOSS
from ffnn.core.serialisation import experiment_from_dict, experiment_to_dict
from ffnn.core.specs import output_units


def small_experiment(**train) -> Experiment:
    config = dict(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=50, seed=3)
    config.update(train)
    return Experiment(DataSpec(name="spirals", n_samples=120, classes=3, seed=1),
                      NetSpec(hidden=[6, 5], activations=["tanh", "relu"], seed=2),
                      TrainConfig(**config))


# --- the table ---------------------------------------------------------------------------


def test_every_spec_field_is_in_the_table_with_a_flag_and_help():
    for section, cls in (("data", DataSpec), ("net", NetSpec), ("train", TrainConfig)):
        for f in fields(cls):
            setting = SETTINGS[f"{section}.{f.name}"]
            assert setting.rule.flag and setting.rule.help and setting.label
            assert setting.check(setting.default) == setting.default


@pytest.mark.parametrize("text", ["1_0", "٣", "0x10", "1e", "", " ", "inf", "nan", "--1",
                                  "1,5", "١٠"])
def test_numbers_are_plain_ascii_only(text):
    with pytest.raises(SpecError):
        SETTINGS["train.batch_size"].parse(text)
    with pytest.raises(SpecError):
        SETTINGS["train.l2"].parse(text)


def test_number_parsing_accepts_decimal_and_scientific_and_normalises_minus_zero():
    l2 = SETTINGS["train.l2"]
    assert l2.parse(" 0.5 ") == 0.5 and l2.parse(".5") == 0.5 and l2.parse("1e-3") == 0.001
    zero = l2.parse("-0")
    assert zero == 0 and str(zero) == "0.0"  # not -0.0
    assert str(SETTINGS["data.noise"].parse("-0.0")) == "0.0"
    batch = SETTINGS["train.batch_size"]
    assert batch.parse("64") == 64 and is_int(batch.parse("1e3")) and batch.parse("1e3") == 1000
    with pytest.raises(SpecError, match="whole number"):
        batch.parse("2.5")
    with pytest.raises(SpecError, match="1–100 000"):
        batch.parse("100000000000")
    assert SETTINGS["train.epochs"].parse("none") is None


def test_list_settings_parse_and_refuse():
    hidden = SETTINGS["net.hidden"]
    assert hidden.parse("16, 8") == [16, 8] and hidden.parse("none") == []
    for bad, reason in (("", "empty"), ("8,,8", "empty item"), ("0", "1–512"),
                        (",".join(["4"] * 9), "at most 8")):
        with pytest.raises(SpecError, match=reason):
            hidden.parse(bad)
    assert SETTINGS["net.activations"].parse("relu,tanh") == ["relu", "tanh"]


def test_why_not_gives_the_short_reason_for_a_form():
    lr = SETTINGS["train.learning_rate"]
    assert lr.why_not("0.3") is None
    assert lr.why_not("abc") == "must be a number"
    assert lr.why_not("0") == "must be a number > 0 and ≤ 10"
    assert lr.why_not("") == "enter a value"


# --- validation --------------------------------------------------------------------------


def test_defaults_are_valid_and_consistent():
    experiment = Experiment()
    experiment.validate()
    assert experiment.output("classification") == ("softmax", "cross_entropy")


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(hidden=[4] * 9, activations=["tanh"] * 9), "hidden layers: at most 8 allowed"),
        (dict(hidden=[0], activations=["tanh"]), "hidden layers: must be whole numbers 1–512"),
        (dict(hidden=[513], activations=["tanh"]), "hidden layers: must be whole numbers 1–512"),
        (dict(hidden=[4], activations=["foo"]), "activations: must be one of identity, sigmoid"),
        (dict(hidden=[4], activations=["softmax"]), "allowed on the output layer only"),
        (dict(hidden=[4, 4], activations=["tanh"]), "activations: one per hidden layer"),
        (dict(output="relu"), "output: must be one of auto, softmax, sigmoid, identity"),
        (dict(init="zeros"), "init: must be one of normal, uniform, xavier, he"),
        (dict(dtype="float16"), "dtype: must be one of float32, float64"),
    ],
)
def test_net_spec_validation(change, message):
    spec = replace(NetSpec(), **change)
    with pytest.raises(SpecError, match=message) as info:
        spec.validate()
    assert "\n" not in str(info.value)
    assert info.value.field.startswith("net.")


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(name="nope"), "dataset: must be one of xor, circles"),
        (dict(n_samples=5), "samples: must be a whole number 10–100 000"),
        (dict(noise=-0.1), "noise: must be a number 0–2"),
        (dict(noise=float("nan")), "noise: must be a number 0–2"),
        (dict(classes=1), "classes: must be a whole number 2–10"),
        (dict(test_ratio=0.95), "test ratio: must be a number 0–0.9"),
        (dict(seed=-1), "seed: must be a whole number"),
        (dict(name="csv"), "data file: a CSV path is required"),
        (dict(name="csv", path="x.csv"), "target: the name of the column to predict"),
        (dict(task="clustering"), "task: must be one of auto, classification, regression"),
    ],
)
def test_data_spec_validation(change, message):
    with pytest.raises(SpecError, match=message):
        replace(DataSpec(), **change).validate()


def test_experiment_validation_includes_train_config_and_output_loss_pair():
    experiment = Experiment(train=TrainConfig(learning_rate=-1))
    with pytest.raises(SpecError, match="learning rate: must be a number > 0 and ≤ 10"):
        experiment.validate()
    regression = Experiment(DataSpec(name="plane"), train=TrainConfig(loss="cross_entropy"))
    with pytest.raises(SpecError, match="loss: regression needs mse"):
        regression.validate()
    wrong_output = Experiment(DataSpec(name="plane"), NetSpec(output="softmax"))
    with pytest.raises(SpecError, match="output: softmax cannot fit a regression target"):
        wrong_output.validate()
    mismatched = Experiment(net=NetSpec(output="sigmoid"), train=TrainConfig(loss="cross_entropy"))
    with pytest.raises(SpecError, match="needs a softmax output layer"):
        mismatched.validate()


def test_output_resolution():
    experiment = Experiment()
    assert experiment.train.loss == "auto"
    assert experiment.output("classification") == ("softmax", "cross_entropy")
    assert experiment.output("regression") == ("identity", "mse")
    sigmoid = Experiment(net=NetSpec(output="sigmoid"))
    assert sigmoid.output("classification") == ("sigmoid", "bce")
    assert output_units("sigmoid", "classification", 2) == 1
    assert output_units("sigmoid", "classification", 4) == 4
    assert output_units("softmax", "classification", 2) == 2
    assert output_units("identity", "regression", 1) == 1
    assert DEFAULT_LOSS == {"softmax": "cross_entropy", "sigmoid": "bce", "identity": "mse"}
    # mse is a legal (if unusual) loss for a classifier and is kept
    assert Experiment(train=TrainConfig(loss="mse")).output("classification") == (
        "softmax", "mse")


def test_fitted_to_adapts_output_and_loss_without_touching_original():
    experiment = Experiment(net=NetSpec(output="sigmoid"), train=TrainConfig(loss="bce"))
    fitted = experiment.fitted_to("regression")
    assert (fitted.net.output, fitted.train.loss) == ("auto", "auto")
    assert fitted.output("regression") == ("identity", "mse")
    assert (experiment.net.output, experiment.train.loss) == ("sigmoid", "bce")


def test_with_values_and_changed():
    experiment = Experiment()
    other = experiment.with_values(**{"train.learning_rate": 0.3, "net.hidden": [4]})
    assert experiment.train.learning_rate == 0.1 and other.train.learning_rate == 0.3
    assert set(experiment.changed(other)) == {"train.learning_rate", "net.hidden"}
    with pytest.raises(KeyError):
        experiment.with_values(**{"train.colour": 1})


# --- specs <-> TOML tables ----------------------------------------------------------------


def test_dict_round_trip_through_toml():
    experiment = small_experiment(epochs=None, early_stopping_patience=5, l2=1e-4)
    document = tomllib.loads(tomli_w.dumps(experiment_to_dict(experiment)))
    assert document["train"]["epochs"] == "none"
    assert experiment_from_dict(document) == experiment


def test_from_dict_reports_unknown_keys_and_wrong_types():
    with pytest.raises(ValueError, match=r"unknown key 'colour' in \[net\]"):
        experiment_from_dict({"net": {"colour": "red"}})
    with pytest.raises(ValueError, match="unknown key 'extra' at top level"):
        experiment_from_dict({"extra": {}})
    with pytest.raises(
        ValueError,
        match=r"wrong type for 'batch_size' in \[train\]: expected an integer, got string",
    ):
        experiment_from_dict({"train": {"batch_size": "32"}})
    with pytest.raises(ValueError, match=r"'hidden' in \[net\]: expected an array of integers"):
        experiment_from_dict({"net": {"hidden": [8, "x"]}})
    with pytest.raises(ValueError, match=r"'epochs' in \[train\]: expected an integer or \"none\""):
        experiment_from_dict({"train": {"epochs": 1.5}})
    # an int where a float is expected is fine (TOML writes 1 for 1.0 by hand)
    assert experiment_from_dict({"train": {"learning_rate": 1}}).train.learning_rate == 1.0
