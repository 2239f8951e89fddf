"""Running service calls at the same moment in threads, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections


def run_together(tasks: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(len(tasks))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(task())
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
