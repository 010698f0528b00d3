"""What went wrong opening a file, in the words of a one-line message.

Every reader (CSV data, experiment TOML, weights .npz, history CSV) reports a missing file,
a folder where a file should be, or a refused permission the same way.
"""

from __future__ import annotations


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
