"""Files that hold secrets or personal data: private from creation, never written through a link.

Every file praho writes for a person to keep (a generated password, the config file, an SSH
known_hosts) goes through :class:`PrivateFile`:

- a new file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600, so it is never
  readable by others, not even for an instant, whatever the umask;
- an existing file is refused unless the caller replaces it (``replace=True``: ``--force``, or a
  file praho edits such as the config file); a replacement is written to a new 0600 file in the same
  directory and renamed over the old one, so a reader sees the old or the new text, never half;
- a symbolic link is refused in every case: writing through it would change (and chmod) whatever it
  points at;
- missing parent directories are created 0700.

A file can be *reserved* before the work that produces its text (:meth:`PrivateFile.open`) and
written afterwards (:meth:`PrivateFile.write`), so an unusable path is refused before anything
irreversible happens (a password generated and set on a server, then lost), and
:meth:`PrivateFile.discard` removes the reservation when the work fails.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from praho_cli.result import ErrorCode, PrahoFailure

FILE_MODE = 0o600
DIR_MODE = 0o700


class PrivateFile:
    """One reserved private file; see the module's docstring."""

    def __init__(self, path: Path, what: str, fd: int, temp: Path | None) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = fd
        self._temp = temp  # set when replacing an existing file: the new text goes here, then a rename

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, what: str = "file", replace: bool = False,
             force_hint: str = "--force") -> PrivateFile:
        """Reserve ``path``: refuse a link, refuse an existing file unless ``replace``."""
        target = Path(path).expanduser()
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise _failure(what, target, exc) from None
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise PrahoFailure.of(ErrorCode.CONFLICT, f"{what} {target} is a symbolic link; praho never writes "
                                  "through a link (remove it, or give the real path)")
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise PrahoFailure.of(ErrorCode.CONFLICT, f"{what} {target} exists and is not a regular file")
        if info is not None and not replace:
            raise PrahoFailure.of(ErrorCode.CONFLICT, f"{what} {target} already exists; pass {force_hint} to "
                                  "overwrite it")
        try:
            _make_parents(target.parent)
            if info is None:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
                fd = os.open(target, flags, FILE_MODE)
                os.fchmod(fd, FILE_MODE)  # the mode asked for, even under an unusual umask
                return cls(target, what, fd, None)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)  # O_EXCL, mode 0600
            os.fchmod(fd, FILE_MODE)
            return cls(target, what, fd, Path(temp))
        except FileExistsError:
            raise PrahoFailure.of(ErrorCode.CONFLICT, f"{what} {target} appeared while praho was writing it; "
                                  "check who else writes there") from None
        except OSError as exc:
            raise _failure(what, target, exc) from None

    def write(self, text: str) -> None:
        """Write the whole text and close; a replacement takes the old file's place atomically."""
        if self._fd is None:
            raise ValueError("private file already written or discarded")
        fd, self._fd = self._fd, None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if self._temp is not None:
                os.replace(self._temp, self.path)  # rename(2) replaces a name; it never follows a link
        except OSError as exc:
            self._remove()
            raise _failure(self.what, self.path, exc) from None

    def discard(self) -> None:
        """Remove what :meth:`open` created (the work that would have filled it failed)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._remove()

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            (self._temp or self.path).unlink(missing_ok=True)


def write_private(path: str | os.PathLike[str], text: str, *, what: str = "file", replace: bool = False,
                  force_hint: str = "--force") -> None:
    """Reserve and write in one step (see :class:`PrivateFile`)."""
    PrivateFile.open(path, what=what, replace=replace, force_hint=force_hint).write(text)


def ensure_private_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty and 0600 (its missing directories 0700) unless it exists: how a new SQLite
    ledger starts, so SQLite, which gives its -wal and -shm files the database file's own mode, never
    makes any of them readable by others whatever the umask. Another process creating it at the same
    moment is fine; a symbolic link is left to the caller (an existing ledger may be one)."""
    target = Path(path).expanduser()
    if os.path.lexists(target):
        return
    try:
        _make_parents(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                     FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise _failure("ledger", target, exc) from None
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def open_to_others(path: str | os.PathLike[str],
                   companions: tuple[str, ...] = ("-wal", "-shm")) -> list[tuple[str, int]]:
    """(name, mode) of ``path`` and its companion files (SQLite's -wal and -shm) that users other than
    the owner may read or write; empty when all are private or absent."""
    found: list[tuple[str, int]] = []
    for name in (str(path), *(f"{path}{suffix}" for suffix in companions)):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except OSError:
            continue
        if mode & 0o077:
            found.append((name, mode))
    return found


def _make_parents(directory: Path) -> None:
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs, left as it is
            continue
        os.chmod(item, DIR_MODE)  # mkdir's mode passes through the umask


def _failure(what: str, path: Path, exc: OSError) -> PrahoFailure:
    return PrahoFailure.of(ErrorCode.CONFIG, f"cannot write {what} {path}: {exc.strerror or exc}")
