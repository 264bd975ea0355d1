"""Progress reporting from inside flows to whoever runs them in-process (the CLI's bar).

Flow parameters must be serializable, so a callback cannot be passed in; the CLI registers a
listener here instead. Without one, reports are no-ops.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, int, int | None], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """Receive ``(stage, done, total)`` reports."""
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, done: int, total: int | None) -> None:
    """Tell listeners how far ``stage`` is."""
    for listener in list(_listeners):
        listener(stage, done, total)
