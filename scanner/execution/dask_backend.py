"""Per-file analysis on a Dask cluster (`aibom scan --dask ADDRESS`, extra `aibom[dask]`).

Workers open the files themselves, by absolute path, so every worker must see the scanned
tree at the same path as the client (a network file system, or an object store mounted
through fsspec/FUSE); only JSON results travel back. Batches are submitted as ordinary tasks
(`pure=False`, so a re-sent batch is run again rather than answered from a failed key); the
scheduler re-runs the tasks of a worker that dies, and `aibom.execution.scheduling` re-sends a batch
that still fails once before reporting its files as scan errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import InputError


@contextmanager
def dask_executor(address: str) -> Iterator[tuple[Any, int]]:
    """A `concurrent.futures` executor on the cluster at `address`, and its worker count."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--dask needs dask.distributed", hint="install it with: pip install 'aibom[dask]'"
        ) from None
    try:
        client = Client(address, timeout=30, set_as_default=False)
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler: {exc}", address) from None
    try:
        count = len(client.scheduler_info().get("workers", {})) or 1
        executor = client.get_executor(pure=False)
        yield executor, count
    finally:
        client.close()
