"""Reading and writing files: one-line reasons for what went wrong, atomic writes, paths as a
person would type them.

Every reader (CSV data, experiment TOML, weights .npz, history CSV) reports a missing file,
a folder where a file should be, or a refused permission the same way (``file_problem``);
every writer goes through ``write_atomically``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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


def _file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain open() would give (0666 - umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file or none: all contents go to temp files in the target directories
    first, then each is moved into place with os.replace. Failure -> ExperimentError; temp
    files are removed and existing files keep their old bytes."""
    staged: list[tuple[str, Path]] = []
    current = None
    try:
        for path, content in files.items():
            current = path
            fd, tmp = tempfile.mkstemp(
                dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                suffix=".tmp",
            )
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
        reason = error.strerror or str(error) or type(error).__name__
        if isinstance(error, FileNotFoundError) and current is not None and not (
            current.parent.exists()
        ):
            reason = "directory does not exist"
        raise _fail(current, f"cannot write ({reason})") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def write_bytes(path, content: bytes) -> None:
    write_atomically({Path(path): content})


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
