"""flock on a run directory: a live writer holds it, and the kernel drops it however the process ends."""

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional


def lock(path: Path, exclusive: bool = True, wait: bool = True) -> Optional[int]:
    """An fd holding a flock on `path` (file or directory); None when the file system has no locks.

    Raises BlockingIOError when wait is False and someone else holds a conflicting lock.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        raise
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
            return None
        raise
    return fd


def owned_by_live_writer(path: Path) -> Optional[bool]:
    """True when a live process holds the run's lock, False when none does, None when it cannot be told."""
    try:
        fd = lock(path, exclusive=False, wait=False)
    except BlockingIOError:
        return True
    except OSError:
        return None
    if fd is None:
        return None
    os.close(fd)
    return False


@contextmanager
def locked_dir(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on a directory for the block (claims in it are then one at a time)."""
    fd = lock(path)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)
