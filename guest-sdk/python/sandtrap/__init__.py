"""sandtrap: write sandtrap detectors in Python (componentize-py guests).

    import sandtrap
    from sandtrap import Detection, Detector, describe, finding, select

    class Hello(Detector):
        @classmethod
        def describe(cls):
            return (describe("hello", "Hello", "0.1.0")
                    .selector(select("sched_process_exec"))
                    .finding(finding("hello", "info").fields("comm")))

        def on_event(self, ev):
            return Detection(comm=ev.process.comm)

    Guest = sandtrap.export_detector(Hello)

Build with `guest-sdk/python/build.sh APP_DIR MODULE OUT.wasm`.
"""

from . import log, stores
from .config import Config
from .describe import (
    Detection,
    DescriptionBuilder,
    Finding,
    Selector,
    describe,
    finding,
    select,
    to_filter_op,
    to_severity,
)
from .detector import Detector, error_message, export_detector
from .errors import InvalidArgument, NotFound, StoreError, StoreNotImplemented, StoreUnhealthy
from .event import Batch, Event, Process
from .records import ContainerRecord, DnsRecord, Pod, ProcessRecord, Records, ReputationRecord, SymbolRecord
from .stores import ip_reputation, process_is
from .values import (
    Field,
    Value,
    Value_Boolean,
    Value_Bytes,
    Value_Int,
    Value_Str,
    Value_StrList,
    Value_Uint,
    field,
    from_value,
    to_value,
)

# The WIT package this SDK is written against (sandtrap:detector@0.4.0:
# events arrive as one flat buffer per `on-events` call, store answers that
# carry records as one flat buffer per answer, and what a call found leaves
# as one flat buffer through `host.report`).
CONTRACT_VERSION = "0.4.0"

__all__ = [
    "Batch",
    "CONTRACT_VERSION",
    "Config",
    "ContainerRecord",
    "Detection",
    "DescriptionBuilder",
    "Detector",
    "DnsRecord",
    "Event",
    "Field",
    "Finding",
    "InvalidArgument",
    "NotFound",
    "Pod",
    "Process",
    "ProcessRecord",
    "Records",
    "ReputationRecord",
    "Selector",
    "StoreError",
    "StoreNotImplemented",
    "StoreUnhealthy",
    "SymbolRecord",
    "Value",
    "Value_Boolean",
    "Value_Bytes",
    "Value_Int",
    "Value_Str",
    "Value_StrList",
    "Value_Uint",
    "describe",
    "error_message",
    "export_detector",
    "field",
    "finding",
    "from_value",
    "ip_reputation",
    "log",
    "process_is",
    "select",
    "stores",
    "to_filter_op",
    "to_severity",
    "to_value",
]
