"""Typed access to the key/value configuration passed to `init`."""

import re

_LIST_SPLIT = re.compile(r"[,\s]+")


class Config:
    """A detector's configuration, from the host's TOML file or a scenario's
    `config:` map. Every value arrives as text."""

    def __init__(self, entries):
        self._entries = [(str(k), str(v)) for k, v in entries]

    def get(self, key: str, default=None):
        """The value of `key` (the last one when repeated), else `default`."""
        for k, v in reversed(self._entries):
            if k == key:
                return v
        return default

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self._entries)

    def list(self, key: str) -> list:
        """A list value split on commas and whitespace, empty items dropped."""
        v = self.get(key)
        if v is None:
            return []
        return [s for s in _LIST_SPLIT.split(v) if s]

    def int(self, key: str, default: int) -> int:
        """An integer, or `ValueError` naming the key (which refuses `init`)."""
        v = self.get(key)
        if v is None:
            return default
        try:
            return int(v.strip(), 0)
        except ValueError:
            raise ValueError(f"config {key!r}: {v!r} is not a number") from None

    def bool(self, key: str, default: bool) -> bool:
        """`true/yes/on/1` or `false/no/off/0`, any case; `ValueError` otherwise."""
        v = self.get(key)
        if v is None:
            return default
        s = v.strip().lower()
        if s in ("true", "yes", "on", "1"):
            return True
        if s in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"config {key!r}: {v!r} is not a boolean")

    def entries(self) -> list:
        """All pairs, in order."""
        return list(self._entries)

    def __repr__(self) -> str:
        return f"Config({self._entries!r})"
