"""Process-level settings for long-lived server and worker processes."""

from __future__ import annotations

import functools
import gc


@functools.cache
def freeze_startup_heap() -> None:
    """Leaves everything a process holds once it has started (modules, metadata, the app) out of garbage
    collection, once per process. A full collection otherwise walks those hundreds of thousands of
    objects every few thousand allocations: about a fifth of a sync worker's time during a backfill,
    and pauses of tens of milliseconds in an API worker (`make bench`). Garbage is collected first so
    none of it is frozen."""
    gc.collect()
    gc.freeze()
