"""Reading and writing files: one-line reasons for what went wrong, atomic writes, the
files of one experiment as a set, paths as a person would type them.

Every reader (CSV data, experiment TOML, weights .npz, history CSV) reports a missing file,
a folder where a file should be, or a refused permission the same way (``file_problem``);
every writer goes through ``write_atomically`` or ``write_new``. An experiment's files are
named and tidied here; ``storage`` writes and reads their contents.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: saves of one folder are then not serialised
    fcntl = None


class ExperimentError(ValueError):
    """A file that cannot be read or written; the message is one line naming the file."""


def _fail(path, problem: str) -> ExperimentError:
    return ExperimentError(f"{path}: {problem}")


def file_problem(error: OSError, kind: str) -> str:
    """"file not found", "is a directory, not <kind>", "permission denied", or the system's
    own words for anything else (kind: "a CSV file", "an .npz file", …)."""
    if isinstance(error, FileNotFoundError):
        return "file not found"
    if isinstance(error, NotADirectoryError):
        return "file not found (a folder on its path is a file)"
    if isinstance(error, IsADirectoryError):
        return f"is a directory, not {kind}"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read ({error.strerror or error})"


# --- writing -----------------------------------------------------------------------------


def _file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain open() would give (0666 - umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _cannot_write(path: Path, error: OSError) -> ExperimentError:
    reason = error.strerror or str(error) or type(error).__name__
    if isinstance(error, FileNotFoundError) and not path.parent.exists():
        reason = "directory does not exist"
    return _fail(path, f"cannot write ({reason})")


def remove_quietly(path) -> None:
    """Remove a file if it is there; a file that cannot be removed is left (never an error:
    callers use this to tidy up, and the tidying must not hide the real outcome)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def temp_prefix(path: Path) -> str:
    """Temp files of ``path`` are ``.<name>.<8 random characters>.tmp`` beside it."""
    return f".{path.name}."


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file or none: all contents go to temp files in the target directories
    first, then each is moved into place with os.replace. Failure -> ExperimentError; temp
    files are removed and existing files keep their old bytes. (Several files are replaced
    one after another: a kill between two renames leaves a mix. A set of files that must
    change together names its parts from one file instead; see ``storage``.)"""
    staged: list[tuple[str, Path]] = []
    current = None
    try:
        for path, content in files.items():
            current = path
            fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                                       prefix=temp_prefix(path), suffix=".tmp")
            staged.append((tmp, path))
            os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; keep the usual permissions
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except OSError as error:
        raise _cannot_write(current, error) from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                remove_quietly(tmp)


def write_bytes(path, content: bytes) -> None:
    write_atomically({Path(path): content})


def write_new(path: Path, content: bytes, mode: int = 0o666) -> None:
    """Create ``path``, which must not exist yet, with ``content`` flushed to disk. Meant for
    a file that nothing names until a later step commits it, so it needs no temp name: a
    half-written one is an orphan for the next save to remove. Failure -> ExperimentError
    (FileExistsError is passed on, for the caller to pick another name), no file left."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise
    except OSError as error:
        raise _cannot_write(path, error) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)  # exactly ``mode``, whatever the umask
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        remove_quietly(path)
        raise _cannot_write(path, error) from None


def sync_directory(directory: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk, so after a power cut they are
    there in the order they were made. Where a system cannot (Windows), nothing is done."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked_directory(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on a folder (flock on the folder itself, so no lock file is
    left behind): two saves into one folder, from any processes, then run one at a time, and
    the files one save has written but not yet committed are never tidied away by another.
    Where locks are not available the block runs unlocked."""
    fd = None
    if fcntl is not None:
        try:
            fd = os.open(directory, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a missing folder is reported by the write itself
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing releases the lock


# --- the files of one experiment, a set committed by its TOML ----------------------------
# "run.toml" names its parts in [model]: arrays = "run.<id>.npz", history =
# "run.<id>.history.csv", with <id> new for every save (format 1 had fixed names beside it,
# "run.npz" and "run.history.csv", named nowhere). storage's module doc says why a save is
# then all or nothing.

PART_ENDINGS = {"arrays": ".npz", "history": ".history.csv"}  # [model] key -> file ending


def experiment_toml(path) -> Path:
    """"run", "run.npz" and "run.toml" all mean run.toml."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        return path
    base = path.with_suffix("") if path.suffix.lower() == ".npz" else path
    return base.with_name(base.name + ".toml")


def experiment_stem(toml_path: Path) -> str:
    """The experiment's name: "run" for run.toml (a TOML opened under another ending keeps
    its whole name, as format 1 did)."""
    return toml_path.stem if toml_path.suffix.lower() == ".toml" else toml_path.name


def legacy_names(toml_path: Path) -> set[str]:
    """Format 1's fixed names for the arrays and history of ``toml_path``."""
    return {experiment_stem(toml_path) + ending for ending in PART_ENDINGS.values()}


def named_parts(toml_path: Path) -> set[str] | None:
    """File names the experiment TOML at ``toml_path`` refers to: what [model] names, or
    format 1's fixed names when its [model] names none. Empty without a TOML or a [model];
    None when the TOML cannot be read (then what it names cannot be told)."""
    try:
        with toml_path.open("rb") as handle:
            model = tomllib.load(handle).get("model")
    except FileNotFoundError:
        return set()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(model, dict):
        return set()
    if not any(key in model for key in PART_ENDINGS):
        return legacy_names(toml_path)
    return {model[key] for key in PART_ENDINGS if isinstance(model.get(key), str)}


def _named_elsewhere(toml_path: Path) -> set[str]:
    """Names the other TOMLs in the folder refer to (a copied TOML shares its original's
    arrays): a save of ``toml_path`` never removes those."""
    named: set[str] = set()
    for other in toml_path.parent.glob("*.toml"):
        try:
            small = other != toml_path and other.stat().st_size < 1_000_000
        except OSError:
            continue
        if small:
            named |= named_parts(other) or set()
    return named


def removable_files(toml_path: Path, keep: set[str], retire: set[str], *, temps: bool,
                    orphans: bool = True) -> list[Path]:
    """Files of this experiment a save removes: stale temps of its name (``temps``), its
    "name.<id>.npz" / "name.<id>.history.csv" files not in ``keep`` (``orphans``), and the
    format-1 files in ``retire``. Never a file another TOML in the folder names, nor
    "name.<id>.npz" when "name.<id>.toml" exists (that is another experiment's format-1 file)."""
    directory, stem = toml_path.parent, experiment_stem(toml_path)
    part = re.compile(rf"{re.escape(stem)}\.([0-9a-f]{{8}})\.(npz|history\.csv)")
    temp = re.compile(rf"\.{re.escape(stem)}\.(toml|npz|history\.csv)\.[a-z0-9_]{{8}}\.tmp")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found, candidates = [], []
    for name in names:
        if temps and temp.fullmatch(name):
            found.append(directory / name)
        elif name in keep:
            continue
        elif orphans and (match := part.fullmatch(name)):
            if not (directory / f"{stem}.{match[1]}.toml").exists():
                candidates.append(name)
        elif name in retire & legacy_names(toml_path):
            candidates.append(name)
    if candidates:
        elsewhere = _named_elsewhere(toml_path)
        found += [directory / name for name in candidates if name not in elsewhere]
    return found


def _retired(toml_path: Path, previous: set[str] | None, with_network: bool) -> set[str]:
    """Format-1 files a save removes: those the TOML it replaces named and, when the save
    writes a network, name.npz and name.history.csv in any case (a format-1 save would have
    overwritten them; left by a save killed after its commit, they go with the next one)."""
    return (previous or set()) | (legacy_names(toml_path) if with_network else set())


def experiment_files(path, with_network: bool = True) -> list[Path]:
    """What a save to ``path`` writes over or removes, for an overwrite warning: first the
    TOML (which may not exist yet), then the existing arrays (.npz) and history (.csv) files
    the save replaces: those the TOML names now, format 1's name.npz and name.history.csv,
    and any an earlier killed save left. (``with_network=False``: a save of the settings
    alone, which keeps a format-1 name.npz the TOML does not name.) The files a save writes
    get new names, so they overwrite nothing."""
    toml_path = experiment_toml(path)
    retire = _retired(toml_path, named_parts(toml_path), with_network)
    return [toml_path, *removable_files(toml_path, set(), retire, temps=False)]


def sibling_paths(path) -> list[Path]:
    """The same as ``experiment_files`` (the name the app has called it by)."""
    return experiment_files(path)


def _write_parts(toml_path: Path, parts: dict[str, bytes]) -> dict[str, Path]:
    """Write each part as "name.<new id><ending>", flushed; {part: path}. All or none."""
    stem = experiment_stem(toml_path)
    mode = _file_mode(toml_path)  # a TOML kept private keeps its arrays private too
    for _ in range(16):  # a name already taken (one in 4·10⁹) just means another draw
        token = secrets.token_hex(4)
        paths = {key: toml_path.with_name(f"{stem}.{token}{PART_ENDINGS[key]}") for key in parts}
        written: list[Path] = []
        try:
            for key, content in parts.items():
                write_new(paths[key], content, mode)
                written.append(paths[key])
            return paths
        except FileExistsError:
            pass
        finally:
            if len(written) != len(parts):
                for path in written:
                    remove_quietly(path)
    raise _fail(toml_path, "cannot write (no free file name for its arrays)")


def save_set(toml_path: Path, parts: dict[str, bytes],
             toml_bytes: Callable[[dict[str, str]], bytes]) -> None:
    """Save an experiment as a set: ``parts`` ({"arrays": …, "history": …}) under new names,
    then the TOML that ``toml_bytes({part: file name})`` gives, renamed into place last.
    All or nothing (see storage); ExperimentError on failure, the old files untouched."""
    directory = toml_path.parent
    with locked_directory(directory):
        previous = named_parts(toml_path)
        # What a killed save left goes first, so it does not take the room this one needs;
        # never what the current TOML names (when it cannot be read, only the temps go).
        for stale in removable_files(toml_path, previous or set(), set(), temps=True,
                                     orphans=previous is not None):
            remove_quietly(stale)
        written = _write_parts(toml_path, parts) if parts else {}
        try:
            sync_directory(directory)  # the parts' names are on disk before a TOML names them
            write_atomically({toml_path: toml_bytes({k: p.name for k, p in written.items()})})
        except BaseException:
            for path in written.values():
                remove_quietly(path)
            raise
        sync_directory(directory)  # the commit itself
        keep = {path.name for path in written.values()}
        retire = _retired(toml_path, previous, bool(parts))
        for old in removable_files(toml_path, keep, retire, temps=True):
            remove_quietly(old)


# --- paths -------------------------------------------------------------------------------


def tidy_path(path: str | Path) -> str:
    """``path`` without detours ("a/../b" is "b"), relative to the working directory when
    inside it: how a user would type it."""
    absolute = Path(path).expanduser().resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def relative_to(path: str, directory: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), directory.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(Path(path).resolve())
