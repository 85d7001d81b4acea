"""What the audit keeps outside the database: the chain key file and the append-only anchor log.

- The key file holds the event log's HMAC key as 64 hex digits. It is created on first use with
  permissions 0600 (its folder 0700); a file that others may read is used, with a warning in the log.
- The anchor folder holds `anchors.log`, one line per anchor, only ever appended to (under an
  exclusive lock, so two processes never interleave or fork it), and `heads-<n>.txt`, the per-chain
  heads of anchor n that the line's digest covers. The newest KEEP_HEADS head files are kept.

Nothing here knows what a line means (workflow/domain/anchors.py does); these are the file operations.
"""
from __future__ import annotations

import fcntl
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Callable, Iterator, Optional

log = logging.getLogger("jianyi.audit")
ANCHORS = "anchors.log"
KEEP_HEADS = 3


class KeyFileError(Exception):
    """The key file exists but cannot be used (Chinese message for the operator)."""


def read_or_create_key(path: Path) -> bytes:
    """The key in `path`, created (32 random bytes as hex, mode 0600) when there is none yet."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return _read_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.warning("created the audit key file %s: back it up apart from the database", path)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise KeyFileError(f"审计密钥文件 {path} 的内容不是有效的密钥（应为 64 个十六进制字符）。")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the audit key file %s may be read by others (mode %o): chmod 600 it", path, mode & 0o777)
    return text.encode("ascii")


class AnchorLog:
    """anchors.log and the heads files beside it, in one folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / ANCHORS

    def heads_path(self, number: int) -> Path:
        return self.folder / f"heads-{number:06d}.txt"

    def lines(self) -> list[str]:
        """Every anchor line, oldest first (empty when none was written yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def heads_lines(self, number: int) -> Optional[Iterator[str]]:
        """The lines of anchor `number`'s heads file, read as they are needed (None when it is missing)."""
        path = self.heads_path(number)
        if not path.exists():
            return None
        return _lines_of(path)

    def append(self, make: Callable[[Optional[str]], tuple[str, Callable[[], Iterator[str]], int]]) -> str:
        """Append one anchor: `make(newest line or None)` returns (line, heads lines, anchor number).

        The heads file is written first, the line after it, both synced, under an exclusive lock on
        the log, so an anchor is there whole or not at all and lines never interleave."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                handle.seek(0)
                existing = [line for line in handle.read().splitlines() if line.strip()]
                line, heads, number = make(existing[-1] if existing else None)
                self._write_heads(number, heads())
                handle.seek(0, os.SEEK_END)
                handle.write(line.rstrip("\n") + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        self._prune(number)
        return line

    def _write_heads(self, number: int, lines: Iterator[str]) -> None:
        final = self.heads_path(number)
        partial = final.with_suffix(".tmp")
        with open(partial, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)

    def _prune(self, newest: int) -> None:
        for path in self.folder.glob("heads-*.txt"):
            try:
                number = int(path.stem.split("-", 1)[1])
            except ValueError:
                continue
            if number <= newest - KEEP_HEADS:
                path.unlink(missing_ok=True)


def _lines_of(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")
