"""Crafted .npz files: every reader (load_experiment, read_weights, load_weights, assemble's
``weights``) refuses them with one line naming the file and the array, from the headers,
before any array data is read (numpy allocates what a header declares: a lie of 10¹² floats
was a MemoryError)."""

import io
import time
import tomllib
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from ffnn.core import (
    DataSpec,
    Experiment,
    ExperimentError,
    NetSpec,
    TrainConfig,
    assemble,
    build_data,
    build_network,
    build_trainer,
)
from ffnn.core.exports import export_weights_npz
from ffnn.core.storage import load_experiment, load_weights, read_weights, save_experiment


def experiment() -> Experiment:
    return Experiment(DataSpec(name="moons", n_samples=60, seed=1),
                      NetSpec(hidden=[6], activations=["tanh"], seed=2),
                      TrainConfig(optimizer="adam", epochs=2, batch_size=16))


@pytest.fixture
def saved(tmp_path):
    """(toml path, the .npz it names, the trained network)."""
    exp = experiment()
    dataset = build_data(exp.data)
    trainer = build_trainer(exp, dataset)
    for _ in trainer.steps():
        pass
    toml = save_experiment(tmp_path / "run.toml", exp, trainer, dataset)
    npz = tmp_path / tomllib.loads(toml.read_text())["model"]["arrays"]
    return toml, npz, trainer.network


def npy(descr, shape, data: bytes, fortran=False) -> bytes:
    """An .npy member: a version 1.0 header saying ``descr``/``shape``, then ``data``."""
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue() + data


def rewrite(npz, members: dict[str, bytes], compress=zipfile.ZIP_STORED, drop=()) -> None:
    """Rewrite ``npz`` with ``members`` ({key: .npy bytes}) replacing or added to its own."""
    with zipfile.ZipFile(npz) as archive:
        old = {info.filename[:-4]: archive.read(info) for info in archive.infolist()
               if info.filename[:-4] not in drop}
    old.update(members)
    with zipfile.ZipFile(npz, "w") as archive:
        for key, content in old.items():
            archive.writestr(f"{key}.npy", content, compress_type=compress)


@pytest.fixture
def no_data_read(monkeypatch):
    """Fail the test if any array's data is read (the refusal must come from headers)."""
    def boom(*args, **kwargs):
        raise AssertionError("array data was read before the headers were refused")

    monkeypatch.setattr(npy_format, "read_array", boom)


def refused(call, *expected: str) -> str:
    started = time.perf_counter()
    with pytest.raises(ExperimentError) as info:
        call()
    assert time.perf_counter() - started < 2.0
    message = str(info.value)
    assert "\n" not in message
    for text in expected:
        assert text in message, message
    return message


def every_reader(toml, npz, network, *expected: str) -> None:
    """The same refusal from each way a user opens an .npz."""
    refused(lambda: load_experiment(toml), f"{npz}:", *expected)
    refused(lambda: read_weights(npz), f"{npz}:", *expected)
    refused(lambda: load_weights(npz, network), f"{npz}:", *expected)
    refused(lambda: assemble(experiment(), weights=npz), f"{npz}:", *expected)
    bare = save_experiment(toml.with_name("bare.toml"), experiment())  # no [model]
    refused(lambda: load_experiment(bare, weights=npz), f"{npz}:", *expected)


def test_a_header_lying_about_its_size_is_refused_before_any_allocation(saved, no_data_read):
    toml, npz, network = saved
    rewrite(npz, {"W0": npy("<f8", (10**12,), bytes(32))})  # 8 TB declared, 32 bytes held
    every_reader(toml, npz, network, "array 'W0' declares shape (1000000000000,) of float64",
                 "holds 32 bytes")


def test_a_truncated_array_is_refused(saved, no_data_read):
    toml, npz, network = saved
    rewrite(npz, {"b0": npy("<f8", (6,), bytes(24))})
    every_reader(toml, npz, network, "array 'b0' declares shape (6,) of float64 (48 bytes) but "
                 "holds 24 bytes")


def test_a_shape_the_network_cannot_use_is_refused_from_the_header(saved, no_data_read):
    toml, npz, network = saved
    rewrite(npz, {"W0": npy("<f8", (3, 7), bytes(8 * 21))})
    refused(lambda: load_experiment(toml), "array 'W0' has shape (3, 7), the network needs "
            "(2, 6)")
    refused(lambda: load_weights(npz, network), "array 'W0' has shape (3, 7), the network "
            "needs (2, 6)")


@pytest.mark.parametrize("descr, words", [
    ("|O", "array 'W0' holds pickled objects; refused"),
    ("<c16", "array 'W0' has dtype complex128, not numbers or text"),
    ("<M8[s]", "array 'W0' has dtype datetime64[s], not numbers or text"),
    ([("a", "<f8")], "array 'W0' has dtype [('a', '<f8')], not numbers or text"),
])
def test_dtypes_other_than_numbers_and_text_are_refused(saved, no_data_read, descr, words):
    toml, npz, network = saved
    itemsize = np.dtype(descr if descr != "|O" else object).itemsize
    rewrite(npz, {"W0": npy(descr, (2, 6), bytes(itemsize * 12))})
    every_reader(toml, npz, network, words)


def test_text_weights_pass_the_header_but_are_not_numbers(saved):
    toml, npz, network = saved
    rewrite(npz, {"W0": npy("<U3", (2, 6), bytes(12 * 12))})
    refused(lambda: load_experiment(toml), "array 'W0' is <U3, not numbers")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(saved, no_data_read):
    toml, npz, network = saved
    n = 64 << 20  # 64 MiB of zeros deflate to ~64 KiB
    rewrite(npz, {"trainer.99": npy("<f8", (n // 8,), bytes(n))}, compress=zipfile.ZIP_DEFLATED)
    every_reader(toml, npz, network, "array 'trainer.99' unpacks", "refused (a zip bomb?)")


def test_more_arrays_than_the_network_could_need_are_refused(saved, no_data_read):
    toml, npz, network = saved
    rewrite(npz, {"extra": npy("<f8", (3 << 20,), bytes(24 << 20))})  # 24 MiB, stored
    message = refused(lambda: load_experiment(toml), f"{npz}: holds", "array 'extra' "
                      "25,165,824", "more than a network of 39 parameters needs; refused")
    assert "MemoryError" not in message


def test_a_central_directory_that_lies_about_sizes_is_refused(saved, no_data_read):
    toml, npz, network = saved
    for lie in ("file_size", "both"):
        with zipfile.ZipFile(npz, "a") as archive:
            archive.writestr("huge.npy", npy("<f8", (10**12,), bytes(32)))
            info = archive.filelist[-1]
            info.file_size = 8 * 10**12
            if lie == "both":
                info.compress_size = 8 * 10**12
        expected = ("has inconsistent sizes in the archive" if lie == "file_size"
                    else "claims more bytes than the file has")
        refused(lambda: load_experiment(toml), "array 'huge'", expected)
        rewrite(npz, {}, drop=("huge",))


def test_other_malformed_archives_are_one_line(saved):
    toml, npz, network = saved
    rewrite(npz, {"W0": npy("<f8", (-2, -6), bytes(96))})
    refused(lambda: load_experiment(toml), "array 'W0' declares shape (-2, -6), not a shape")
    rewrite(npz, {"W0": np.lib.format.MAGIC_PREFIX + b"\x01\x00" + b"\xff\xff" + b"{" * 70000})
    refused(lambda: load_experiment(toml), f"{npz}: not a valid .npz file")
    rewrite(npz, {"W0": npy("<f8", (2, 6), bytes(96))})
    with zipfile.ZipFile(npz, "a") as archive:
        archive.writestr("notes.txt", "hello")
    refused(lambda: load_experiment(toml), "holds 'notes.txt', which is not an .npy array")
    content = npz.read_bytes()
    npz.write_bytes(content[:-30])  # the central directory cut
    refused(lambda: load_experiment(toml), f"{npz}: not a valid .npz file")


def test_bit_flips_in_the_data_are_caught_by_the_zip_checksum(saved):
    toml, npz, network = saved
    with zipfile.ZipFile(npz) as archive:
        member = archive.read("W0.npy")
    raw = bytearray(npz.read_bytes())
    start = raw.find(member)  # np.savez stores members uncompressed: the bytes are there
    assert start > 0
    raw[start + len(member) - 3] ^= 0x01  # a low bit of W0's last number
    npz.write_bytes(bytes(raw))
    refused(lambda: load_experiment(toml), f"{npz}: not a valid .npz file", "CRC")


def test_legitimate_variants_still_load(tmp_path):
    """Fortran-ordered and compressed weights files (np.savez_compressed) are read as before."""
    network = build_network(NetSpec(hidden=[5], activations=["relu"]), build_data(DataSpec()))
    export_weights_npz(tmp_path / "w.npz", network)
    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        arrays = dict(archive)
    arrays["W0"] = np.asfortranarray(arrays["W0"])
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    weights, biases, activations = read_weights(tmp_path / "c.npz", list(network.layer_sizes))
    assert np.array_equal(weights[0], network.weights[0])
    assert activations == ["relu", "softmax"]
    assert np.array_equal(load_weights(tmp_path / "c.npz", network).biases[1], network.biases[1])
