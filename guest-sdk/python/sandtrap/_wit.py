"""The generated bindings, imported in one place.

componentize-py generates the `wit_world` package while it builds a
component (the real code, wired to the component's imports and exports);
`componentize-py bindings` generates the same modules as stubs for editors,
type checkers and host-side unit tests. Everything else in `sandtrap`
reaches the contract through this module, so a rename of the world module
is a one-line change.
"""

from componentize_py_types import Err, Ok, Some  # noqa: F401  (re-exported)
from wit_world import exports as _exports  # noqa: F401  (the Guest protocol)
from wit_world.exports import guest
from wit_world.imports import (
    containers,
    dns,
    host,
    ip_reputation,
    kernel_symbols,
    processes,
    registry,
    syscalls,
    system,
    types,
)

__all__ = [
    "Err",
    "Ok",
    "Some",
    "containers",
    "dns",
    "guest",
    "host",
    "ip_reputation",
    "kernel_symbols",
    "processes",
    "registry",
    "syscalls",
    "system",
    "types",
]
