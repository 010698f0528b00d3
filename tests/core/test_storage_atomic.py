"""A saved experiment is all or nothing as a set: killed at any moment (SIGKILL, or dying at
every file-system call in turn), it loads whole, old or new, with its TOML, arrays and
history agreeing; the next save leaves no temp or orphan file. Plus what the cleaning must
never touch, format-1 files, failures, and the overwrite list (``experiment_files``)."""

import itertools
import os
import random
import signal
import threading
import time
import tomllib
import traceback
from pathlib import Path

import numpy as np
import pytest

from ffnn.core import (
    DataSpec,
    Experiment,
    ExperimentError,
    NetSpec,
    TrainConfig,
    build_data,
    build_trainer,
)
from ffnn.core.storage import experiment_files, load_experiment, save_experiment, sibling_paths

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

KILLS = 40          # SIGKILLs at random moments
SEED = 20240508     # fixed, so a failure replays
KILLED = 99         # exit status of a child that "died" at a chosen call

# Six runs, each with its own hidden width (so a TOML of one and arrays of another cannot
# load) and its own epoch count (so a mix that did load would show). Wide enough that a save
# writes ~1 MB: a kill lands inside a write as well as between the steps.
RUNS = [(120, 1), (160, 2), (200, 3), (140, 4), (180, 5), (100, 6)]


@pytest.fixture(scope="module")
def runs():
    trained = []
    for hidden, epochs in RUNS:
        experiment = Experiment(DataSpec(name="moons", n_samples=60, seed=1),
                                NetSpec(hidden=[hidden, hidden], activations=["tanh", "tanh"]),
                                TrainConfig(optimizer="adam", epochs=epochs, batch_size=16))
        dataset = build_data(experiment.data)
        trainer = build_trainer(experiment, dataset)
        for _ in trainer.steps():
            pass
        trained.append((experiment, trainer, dataset))
    return trained


def save(path, run):
    experiment, trainer, dataset = run
    return save_experiment(path, experiment, trainer, dataset)


def whole(path: Path, runs) -> int:
    """Which run ``path`` holds, after checking that it loads and that all its parts agree
    with each other and with that run exactly."""
    loaded = load_experiment(path)
    model = tomllib.loads(path.read_text())["model"]
    (k,) = [i for i, run in enumerate(runs) if run[0].net.hidden == loaded.experiment.net.hidden]
    trainer = runs[k][1]
    assert model["layer_sizes"] == loaded.network.layer_sizes == trainer.network.layer_sizes
    assert (model["epochs_trained"] == loaded.trainer_state["epoch"]
            == len(loaded.history["epoch"]) == loaded.history["epoch"][-1] == trainer.epoch)
    assert loaded.history["train_loss"] == trainer.history.train_loss.tolist()
    for a, b in zip(loaded.network.params, trainer.network.params, strict=True):
        assert np.array_equal(a, b)
    return k


def whole_run(path: Path, runs) -> int:
    """``whole`` for a TOML that other saves keep replacing: checks what one load returned."""
    loaded = load_experiment(path)
    (k,) = [i for i, run in enumerate(runs) if run[0].net.hidden == loaded.experiment.net.hidden]
    trainer = runs[k][1]
    assert loaded.trainer_state["epoch"] == len(loaded.history["epoch"]) == trainer.epoch
    for a, b in zip(loaded.network.params, trainer.network.params, strict=True):
        assert np.array_equal(a, b)
    return k


def extra_files(path: Path) -> set[str]:
    """Files in the folder other than the TOML and the parts it names."""
    model = tomllib.loads(path.read_text())["model"]
    return set(os.listdir(path.parent)) - {path.name, model["arrays"], model["history"]}


def fork(body) -> int:
    """Run ``body`` in a child process; it never returns into pytest."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def test_kill_9_at_random_moments(tmp_path, runs):
    path = tmp_path / "run.toml"
    rng = random.Random(SEED)
    last = 0
    save(path, runs[last])
    loaded_as = {"old": 0, "new": 0}
    leftovers = most_left = 0
    started = time.perf_counter()
    for _ in range(KILLS):
        read_end, write_end = os.pipe()

        def loop(first=last + 1, write_end=write_end, read_end=read_end):
            os.close(read_end)
            for i in itertools.count(first):
                os.write(write_end, b"s%d\n" % (i % len(runs)))
                save(path, runs[i % len(runs)])
                os.write(write_end, b"d%d\n" % (i % len(runs)))

        pid = fork(loop)
        os.close(write_end)
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), "the saving loop ended before it was killed"
        with os.fdopen(read_end, "rb") as pipe:
            events = pipe.read().split()
        done = [int(e[1:]) for e in events if e.startswith(b"d")]
        old = done[-1] if done else last
        new = int(events[-1][1:]) if events and events[-1].startswith(b"s") else None

        k = whole(path, runs)
        assert k in (old, new)
        loaded_as["new" if k == new else "old"] += 1
        left = extra_files(path)
        leftovers += len(left)
        most_left = max(most_left, len(left))

        last = (k + 1) % len(runs)
        save(path, runs[last])  # a normal save cleans up what the killed one left
        assert extra_files(path) == set()
        assert whole(path, runs) == last
    elapsed = time.perf_counter() - started
    print(f"\n{KILLS} kills: {KILLS} loads whole "
          f"({loaded_as['old']} old, {loaded_as['new']} new); {leftovers} files left by the "
          f"kills (at most {most_left} at once), 0 after the next save; {elapsed:.1f} s")
    assert loaded_as["old"] and loaded_as["new"]  # kills landed on both sides of the commit


def die_at(call: int, path, run) -> bool:
    """Save ``run`` in a child that dies (os._exit: no cleanup, like a kill) at its
    ``call``-th file-system call; at an fsync the file is first cut to half, as a write the
    kill interrupted. True if it died, False if the save finished first."""
    def body():
        counter = itertools.count(1)

        def hooked(real, name):
            def call_(*args, **kwargs):
                if next(counter) == call:
                    if name == "fsync":
                        try:
                            os.ftruncate(args[0], os.fstat(args[0]).st_size // 2)
                        except OSError:
                            pass  # a folder's fsync: nothing to cut
                    os._exit(KILLED)
                return real(*args, **kwargs)
            return call_

        for name in ("open", "fsync", "replace", "rename", "unlink", "chmod"):
            setattr(os, name, hooked(getattr(os, name), name))
        save(path, run)

    _, status = os.waitpid(fork(body), 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED)
    return code == KILLED


@pytest.mark.parametrize("start", ["format 2", "format 1"])
def test_dying_at_every_file_system_call_of_a_save(tmp_path, runs, start):
    path = tmp_path / "run.toml"
    points = 0
    for call in itertools.count(1):
        for name in os.listdir(tmp_path):
            os.unlink(tmp_path / name)
        save(path, runs[0])
        if start == "format 1":
            make_format_1(path)
        if not die_at(call, path, runs[1]):
            break
        points += 1
        assert whole(path, runs) in (0, 1)
        save(path, runs[2])
        assert extra_files(path) == set()
        assert whole(path, runs) == 2
    assert whole(path, runs) == 1 and extra_files(path) == set()  # the save that finished
    print(f"\nfrom {start}: died at each of {points} file-system calls of a save; every time "
          "it loaded whole and the next save left nothing behind")
    assert points >= 10


def make_format_1(path: Path) -> None:
    """Turn a saved experiment into the layout format 1 wrote: run.npz and run.history.csv
    beside run.toml, named nowhere."""
    text = path.read_text()
    model = tomllib.loads(text)["model"]
    (path.parent / model["arrays"]).rename(path.with_suffix(".npz"))
    (path.parent / model["history"]).rename(path.with_name(path.stem + ".history.csv"))
    lines = [line for line in text.splitlines()
             if not line.startswith(("arrays = ", "history = "))]
    path.write_text("\n".join(lines).replace("format = 2", "format = 1") + "\n")


def test_format_1_files_load_and_a_save_replaces_them(tmp_path, runs):
    path = save(tmp_path / "run.toml", runs[3])
    make_format_1(path)
    assert sorted(os.listdir(tmp_path)) == ["run.history.csv", "run.npz", "run.toml"]
    loaded = load_experiment(path)
    assert loaded.arrays_path == tmp_path / "run.npz"
    assert len(loaded.history["epoch"]) == 4 and loaded.trainer_state["epoch"] == 4
    assert experiment_files(path) == [path, tmp_path / "run.history.csv", tmp_path / "run.npz"]
    save(path, runs[4])
    assert whole(path, runs) == 4 and extra_files(path) == set()
    assert not (tmp_path / "run.npz").exists()


def test_format_1_files_of_two_saves_are_refused_not_mixed(tmp_path, runs):
    """What a killed format-1 save could leave: run.toml and run.npz of one save, the
    history of another. Loading it silently gave the wrong epochs."""
    path = save(tmp_path / "run.toml", runs[3])
    make_format_1(path)
    history = tmp_path / "run.history.csv"
    rows = history.read_text().splitlines()
    history.write_text("\n".join(rows[:-1]) + "\n")  # one epoch short
    with pytest.raises(ExperimentError, match=r"run\.history\.csv: ends at epoch 3, but "
                                              r"run\.toml says epoch 4 \(files of two "):
        load_experiment(path)


def test_cleaning_never_touches_what_is_not_this_experiments_litter(tmp_path, runs):
    path = save(tmp_path / "run.toml", runs[0])
    named = tomllib.loads(path.read_text())["model"]
    # litter of killed saves of run: temps (format 1's and 2's) and arrays no TOML names
    litter = [".run.toml.a1b2c3d4.tmp", ".run.npz.zz_9y8x7.tmp", ".run.history.csv.abcdefgh.tmp",
              "run.0123abcd.npz", "run.0123abcd.history.csv"]
    # not run's: other names, other experiments, user files, a copy of the TOML
    kept = ["run.notes.txt", "runs.0123abcd.npz", "other.0123abcd.npz", ".other.toml.a1b2c3d4.tmp",
            "run.feedbeef.npz", "run.feedbeef.toml", "run.ABCDEF12.npz", "run.0123abcd.npz.bak",
            "mine.npz", "copy.toml"]
    for name in litter + kept:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "copy.toml").write_bytes(path.read_bytes())  # shares run's current arrays
    listed = experiment_files(path)
    assert listed[0] == path
    assert sorted(p.name for p in listed[1:]) == ["run.0123abcd.history.csv", "run.0123abcd.npz"]
    save(path, runs[1])
    assert extra_files(path) == set(kept) | {named["arrays"], named["history"]}
    assert whole(tmp_path / "copy.toml", runs) == 0  # the copy still has its arrays
    save(path, runs[2])
    assert extra_files(path) == set(kept) | {named["arrays"], named["history"]}


def test_a_toml_naming_files_elsewhere_is_refused_and_they_are_never_removed(tmp_path, runs):
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"precious")
    folder = tmp_path / "runs"
    folder.mkdir()
    path = save(folder / "run.toml", runs[0])
    text = path.read_text()
    arrays = tomllib.loads(text)["model"]["arrays"]
    path.write_text(text.replace(f'arrays = "{arrays}"', 'arrays = "../victim.npz"'))
    with pytest.raises(ExperimentError, match=r"\[model\] arrays must be the name of a \.npz "
                                              r"file beside the TOML, got '\.\./victim\.npz'"):
        load_experiment(path)
    save(path, runs[1])
    assert victim.read_bytes() == b"precious"
    # a name the user chose, beside the TOML, loads; a save does not remove it
    text = path.read_text()
    arrays = tomllib.loads(text)["model"]["arrays"]
    (folder / arrays).rename(folder / "mine.npz")
    path.write_text(text.replace(f'arrays = "{arrays}"', 'arrays = "mine.npz"'))
    assert whole(path, runs) == 1
    save(path, runs[0])
    assert (folder / "mine.npz").exists() and whole(path, runs) == 0


def test_a_failed_save_leaves_the_old_set_and_no_new_file(tmp_path, runs, monkeypatch):
    path = save(tmp_path / "run.toml", runs[0])
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    real_open = os.open

    def no_space(*args):
        raise OSError(28, "No space left on device")

    def denied(file, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    for name, fake, words in (("fsync", no_space, ".npz: cannot write (No space left on d"),
                              ("open", denied, ".npz: cannot write (Permission denied)"),
                              ("replace", no_space, "run.toml: cannot write (No space left")):
        with monkeypatch.context() as patch, pytest.raises(ExperimentError) as info:
            patch.setattr(os, name, fake)
            save(path, runs[1])
        message = str(info.value)
        assert "\n" not in message and words in message, message
        assert {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)} == before
        assert whole(path, runs) == 0


def test_experiment_files_lists_what_a_save_replaces(tmp_path, runs):
    path = tmp_path / "run.toml"
    assert experiment_files(path) == [path]
    assert experiment_files(tmp_path / "run") == experiment_files(tmp_path / "run.npz") == [path]
    save(path, runs[0])
    model = tomllib.loads(path.read_text())["model"]
    listed = experiment_files(path)
    assert listed == [path, tmp_path / model["history"], tmp_path / model["arrays"]]
    assert sibling_paths(path) == listed  # the name the app calls
    assert all(p.exists() for p in listed)
    save(path, runs[1])
    assert not any(p.exists() for p in listed[1:])  # exactly those were replaced


def test_loading_while_another_save_commits(tmp_path, runs):
    """A reader that finds the files its TOML named gone (a save committed meanwhile) reads
    the new TOML instead of failing."""
    path = save(tmp_path / "run.toml", runs[0])
    stop = threading.Event()
    saves = itertools.count()

    def saving():
        for i in itertools.count(1):
            if stop.is_set():
                return
            save(path, runs[i % len(runs)])
            next(saves)
            time.sleep(0.002)

    writer = threading.Thread(target=saving)
    writer.start()
    try:
        for _ in range(60):
            whole_run(path, runs)
    finally:
        stop.set()
        writer.join()
    assert next(saves) >= 5  # the loads did overlap saves


def test_two_processes_saving_one_experiment_never_break_it(tmp_path, runs):
    """Saves of one folder wait for each other (a lock on the folder), so one save never
    tidies away the parts another has written but not yet committed."""
    path = save(tmp_path / "run.toml", runs[0])

    def loop(first):
        for i in itertools.count(first):
            save(path, runs[i % len(runs)])

    savers = [fork(lambda first=first: loop(first)) for first in (1, 4)]
    try:
        deadline = time.perf_counter() + 1.0
        loads = 0
        while time.perf_counter() < deadline:
            whole_run(path, runs)
            loads += 1
    finally:
        for pid in savers:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert loads > 10
    whole_run(path, runs)
    save(path, runs[0])
    assert extra_files(path) == set()


def test_a_missing_or_unnamed_part_and_a_newer_format_are_one_line(tmp_path, runs):
    path = save(tmp_path / "run.toml", runs[0])
    text = path.read_text()
    model = tomllib.loads(text)["model"]
    (tmp_path / model["history"]).unlink()
    with pytest.raises(ExperimentError, match=rf"{model['history']}: file not found$"):
        load_experiment(path)
    path.write_text(text.replace(f'arrays = "{model["arrays"]}"\n', ""))
    with pytest.raises(ExperimentError, match=r"run\.toml: \[model\] names a history but no "
                                              r"arrays"):
        load_experiment(path)
    path.write_text(text.replace("format = 2", "format = 3"))
    with pytest.raises(ExperimentError, match=r"format 3 is not supported \(this version reads "
                                              r"format 2\)"):
        load_experiment(path)


def test_the_parts_keep_the_tomls_permissions(tmp_path, runs):
    path = save(tmp_path / "run.toml", runs[0])
    path.chmod(0o600)
    save(path, runs[1])
    model = tomllib.loads(path.read_text())["model"]
    for name in (path.name, model["arrays"], model["history"]):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
