"""Running service calls at the same moment in threads, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection, transaction


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


def while_held(
    monkeypatch: Any,
    module: object,
    name: str,
    *,
    hold: Callable[[], object],
    then: Callable[[], object],
    seconds: float = 5,
) -> tuple[list[BaseException], list[BaseException]]:
    """Two transactions: `hold` (a service call) runs until it reaches `module.name`, a step
    it takes under its row locks, and stays there until the other has run `then` in its own
    transaction under a one-second `lock_timeout` (so `then` commits, or fails on a lock it
    waited for, and never hangs). Returns `hold`'s errors and `then`'s."""
    step = getattr(module, name)
    reached, done = threading.Event(), threading.Event()

    def held(*args: Any, **kwargs: Any) -> object:
        reached.set()
        done.wait(seconds)
        return step(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    hold_errors: list[BaseException] = []
    then_errors: list[BaseException] = []

    def holder() -> None:
        try:
            hold()
        except BaseException as exc:
            hold_errors.append(exc)
        finally:
            reached.set()
            close_old_connections()

    def other() -> None:
        try:
            assert reached.wait(seconds)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                then()
        except BaseException as exc:
            then_errors.append(exc)
        finally:
            done.set()
            close_old_connections()

    threads = [threading.Thread(target=holder), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return hold_errors, then_errors
