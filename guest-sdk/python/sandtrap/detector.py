"""The detector base class and the glue componentize-py exports.

componentize-py looks for a class named `Guest` in the app module and
calls its methods for the exports of interface `guest`. `export_detector`
builds that class around a user's `Detector` subclass: it holds the one
detector instance of the component instance, turns Python values into
contract records, and turns every exception into an error *result*. An
exception escaping an export would trap, which the host counts as a fault
and answers by discarding the instance; a failed event must not cost the
detector its state.
"""

import traceback

from . import _wit, log
from .config import Config
from .describe import Detection, DescriptionBuilder
from .event import Event


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
    """Normalises what `on_event` returned into contract detections."""
    if result is None:
        return []
    if isinstance(result, (Detection, _wit.guest.Detection)):
        result = [result]
    out = []
    for d in result:
        if isinstance(d, Detection):
            out.append(d.build())
        elif isinstance(d, _wit.guest.Detection):
            out.append(d)
        else:
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

    def run(ev_raw):
        d = state["detector"]
        if d is None:
            raise RuntimeError("detector called before init")
        return _detections(d.on_event(Event(ev_raw)))

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

        def on_event(self, event):
            try:
                return run(event)
            except Exception as e:
                raise _wit.Err(error_message(e)) from None

        def on_batch(self, events):
            out = _wit.guest.BatchOutput(detections=[], errors=[])
            for index, ev in enumerate(events):
                try:
                    for det in run(ev):
                        out.detections.append(_wit.guest.IndexedDetection(index=index, detection=det))
                except Exception as e:
                    out.errors.append(_wit.guest.IndexedError(index=index, message=error_message(e)))
            return out

        def close(self):
            d, state["detector"] = state["detector"], None
            if d is not None:
                try:
                    d.close()
                except Exception as e:  # the instance is going away anyway
                    log.warn(f"close: {error_message(e)}")

    Guest.__name__ = Guest.__qualname__ = f"Guest[{cls.__name__}]"
    return Guest
