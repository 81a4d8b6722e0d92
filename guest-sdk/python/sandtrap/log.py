"""Logging through the host: one line tagged with the detector id,
truncated at 4 KiB and rate-limited by the host. `print` goes nowhere in
the sandbox (standard output is not connected), so use these."""

from . import _wit


def _log(level, message) -> None:
    _wit.host.log(level, str(message))


def trace(message) -> None:
    _log(_wit.host.LogLevel.TRACE, message)


def debug(message) -> None:
    _log(_wit.host.LogLevel.DEBUG, message)


def info(message) -> None:
    _log(_wit.host.LogLevel.INFO, message)


def warn(message) -> None:
    _log(_wit.host.LogLevel.WARN, message)


def error(message) -> None:
    _log(_wit.host.LogLevel.ERROR, message)


def now() -> int:
    """The host clock in ns since the Unix epoch; fixed under the mock host,
    so prefer it to `time.time()` to keep scenarios reproducible."""
    return _wit.host.now()
