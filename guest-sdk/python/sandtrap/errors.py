"""Python exceptions for the contract's `store-error` variant.

componentize-py raises `componentize_py_types.Err(StoreError_…)` for a
`result<T, store-error>` that failed; detectors should not have to match
on generated dataclasses, so every store wrapper turns it into one of the
exceptions below. `NotFound` is an ordinary answer (a process that already
left the tree), the others are worth an error result.
"""

from . import _wit


class StoreError(Exception):
    """Base class of every store failure."""


class NotFound(StoreError):
    """The entity does not exist, or is no longer known."""


class StoreUnhealthy(StoreError):
    """The store is missing, disabled or degraded."""


class StoreNotImplemented(StoreError):
    """The store does not support this operation."""


class InvalidArgument(StoreError):
    """An argument is malformed; the message says which."""


def from_wit(error: object, what: str) -> StoreError:
    """The exception for a generated `StoreError_*` value.

    `what` names the call, so that an error result that reaches the host's
    log says which store answered.
    """
    t = _wit.types
    if isinstance(error, t.StoreError_NotFound):
        return NotFound(f"{what}: not found")
    if isinstance(error, t.StoreError_StoreUnhealthy):
        return StoreUnhealthy(f"{what}: store unhealthy")
    if isinstance(error, t.StoreError_NotImplemented):
        return StoreNotImplemented(f"{what}: not implemented by the store")
    if isinstance(error, t.StoreError_InvalidArgument):
        return InvalidArgument(f"{what}: invalid argument: {error.value}")
    # A contract newer than this SDK: still an exception, never a trap.
    return StoreError(f"{what}: {error!r}")


def call(what: str, fn, *args):
    """Calls an imported store function, translating its `Err`."""
    try:
        return fn(*args)
    except _wit.Err as e:
        raise from_wit(e.value, what) from None
