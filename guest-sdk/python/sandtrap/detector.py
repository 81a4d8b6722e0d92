"""The detector base class and the glue componentize-py exports.

componentize-py looks for a class named `Guest` in the app module and
calls its methods for the exports of interface `guest`. `export_detector`
builds that class around a user's `Detector` subclass: it holds the one
detector instance of the component instance, hands each event of an
`on-events` batch to `on_event` as a lazy `Event` view, and turns every
exception into an error indexed by its event. An exception escaping an
export would trap, which the host counts as a fault and answers by
discarding the instance; a failed event must not cost the detector its
state, nor the batch the detections of the other events.

Since contract 0.4 `on-events` returns nothing: what the batch found is
encoded as one output record list (output.py) and handed to `host.report`
once, at the end of the call, and only when there is something to report.
"""

import traceback

from . import _wit, log
from .config import Config
from .describe import Detection, DescriptionBuilder
from .event import Batch, Event
from .output import encode_output


class Detector:
    """Base class of a Python detector.

    Subclasses implement:

    - `describe()` (a classmethod or staticmethod): returns a
      `DescriptionBuilder` or a built `Description`. Called before
      `__init__`, in a separate instance, and by `sandtrap inspect`; it must
      not depend on configuration.
    - `__init__(self, config: Config)`: raising refuses the load, with the
      exception's message.
    - `on_event(self, ev: Event)`: returns None, one `Detection`, or a list
      of them. Raising makes this event's result an error (counted and
      logged by the host), never a fault.
    - `close(self)`: optional, called before the instance is dropped.
    """

    @classmethod
    def describe(cls):
        raise NotImplementedError(f"{cls.__name__} does not implement describe()")

    def __init__(self, config: Config):
        self.config = config

    def on_event(self, ev: Event):
        raise NotImplementedError(f"{type(self).__name__} does not implement on_event()")

    def close(self) -> None:
        pass


def error_message(e: BaseException) -> str:
    """`Type: message (file:line in function)` — where in the detector's
    own code the exception was raised, so the host's log line is enough to
    find the bug without a traceback (standard error goes nowhere)."""
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    # lookup_lines=False: reading source lines would open files, and the
    # sandbox has none.
    frames = traceback.StackSummary.extract(traceback.walk_tb(e.__traceback__), lookup_lines=False)
    if frames:
        f = frames[-1]
        text += f" ({f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name})"
    return text


def _detections(result) -> list:
    """What `on_event` returned, as a list of `Detection`s; raises for
    anything else, so a half-valid result is one error, not a partial
    answer."""
    if result is None:
        return []
    if isinstance(result, Detection):
        return [result]
    try:
        out = list(result)
    except TypeError:
        raise TypeError(f"on_event returned a {type(result).__name__}, not a Detection or a list of them") from None
    for d in out:
        if not isinstance(d, Detection):
            raise TypeError(f"on_event returned a {type(d).__name__}, not a Detection")
    return out


def export_detector(cls):
    """The `Guest` class for detector class `cls`; bind it in the app module:

        Guest = export_detector(MyDetector)
    """
    if not (isinstance(cls, type) and callable(getattr(cls, "on_event", None))):
        raise TypeError("export_detector expects a detector class with on_event()")

    # Module-level, not on the Guest object: the bindings may create more
    # than one Guest object, but there is one detector per component instance.
    state = {"detector": None}

    class Guest:
        def describe(self):
            # No error result exists for describe: a bug here must be loud,
            # so it traps and the host refuses the component.
            desc = cls.describe()
            return desc.build() if isinstance(desc, DescriptionBuilder) else desc

        def init(self, config):
            try:
                state["detector"] = cls(Config(config))
            except Exception as e:
                state["detector"] = None
                raise _wit.Err(error_message(e)) from None

        def on_events(self, events):
            # (event index, Detection or error message), in the order found.
            found = []
            d = state["detector"]
            # Batch never raises, whatever the bytes: a malformed buffer
            # reads as fewer or emptier events, not as a trap.
            batch = Batch(events)
            if d is None:
                found = [(i, "RuntimeError: detector called before init") for i in range(len(batch))]
            else:
                on_event = d.on_event
                for index, ev in enumerate(batch):
                    try:
                        result = on_event(ev)
                        if result is None:
                            continue
                        for det in _detections(result):
                            found.append((index, det))
                    except Exception as e:
                        found.append((index, error_message(e)))
            # A call that found nothing crosses the boundary once, not twice.
            if found:
                _wit.host.report(encode_output(found))

        def close(self):
            d, state["detector"] = state["detector"], None
            if d is not None:
                try:
                    d.close()
                except Exception as e:  # the instance is going away anyway
                    log.warn(f"close: {error_message(e)}")

    Guest.__name__ = Guest.__qualname__ = f"Guest[{cls.__name__}]"
    return Guest
