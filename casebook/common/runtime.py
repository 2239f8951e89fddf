"""What a server process does once it has started (docs/performance.md, "The pages' tail")."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Leave the objects made while starting out of Python's full garbage collections.

    The modules, models, URL patterns and templates of a started process (about 190,000
    objects) live as long as it does, yet every full collection walked all of them: 250 ms
    in the middle of a request on a busy machine, the p95 of the case page and the board.
    Frozen, a full collection walks only what requests left behind (a few ms). Garbage
    already unreachable is collected first, so that nothing is frozen that should be freed.
    """
    gc.collect()
    gc.freeze()
