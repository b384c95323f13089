"""Writing the files the CLI and the fixture produce: all or nothing.

`write_files` writes every new content to a temporary file next to its target first, then
renames them into place, so a failed write (disk full, a size limit, permissions) leaves every
target exactly as it was. An existing target keeps its mode and owner. One with other hard links
is rewritten in place instead (a rename would split it from its other names), restoring the old
bytes when the write fails.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path``'s content with ``data``, or leave it as it was (raises `OSError`)."""
    write_files({path: data})


def write_files(contents: dict[Path, bytes]) -> None:
    """Write every ``path: data``; when any write fails, none of the targets changes."""
    staged: list[tuple[str, Path]] = []
    in_place: list[tuple[Path, bytes]] = []
    try:
        for path, data in contents.items():
            target = path.resolve()  # a symlink: write the file it points at
            try:
                info: os.stat_result | None = target.stat()
            except FileNotFoundError:
                info = None
            if info is not None and not os.access(target, os.W_OK):
                raise PermissionError(13, "Permission denied", str(path))
            if info is not None and info.st_nlink > 1:
                in_place.append((target, data))
                continue
            tmp = _stage(target, data, info)
            staged.append((tmp, target))
            if info is not None and not _same_owner(tmp, info):
                # The owner cannot be kept on a new file: rewrite the old one instead.
                os.unlink(tmp)
                staged.pop()
                in_place.append((target, data))
        for target, data in in_place:
            _rewrite(target, data)
        for tmp, target in staged:
            os.replace(tmp, target)
        staged.clear()
    finally:
        for tmp, _target in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _stage(target: Path, data: bytes, info: os.stat_result | None) -> str:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".mrt-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if info is not None:
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a new file gets
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _same_owner(tmp: str, info: os.stat_result) -> bool:
    new = os.stat(tmp)
    if (new.st_uid, new.st_gid) == (info.st_uid, info.st_gid):
        return True
    try:
        os.chown(tmp, info.st_uid, info.st_gid)
    except OSError:
        return False
    return True


def _rewrite(target: Path, data: bytes) -> None:
    """Overwrite the file itself (same inode): its hard links, mode and owner stay."""
    with open(target, "r+b") as fh:
        old = fh.read()
        try:
            fh.seek(0)
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            fh.seek(0)
            fh.write(old)
            fh.truncate()
            fh.flush()
            raise
