"""Where the engine's progress goes: to a callable the user gives, else to the "mipp" logger
(stages at INFO, steps and per-layer records at DEBUG, messages at their own level). Never print."""
import logging

logger = logging.getLogger("mipp")

_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}


def make_callback(progress):
    """The engine's callback(kind, payload) for `progress` (None or callable(event dict))."""
    if progress is not None:
        if not callable(progress):
            raise TypeError(f"progress: expected a callable or None, got {type(progress).__name__}")
        return lambda kind, payload: progress({"event": kind, **payload})
    return _log


def _log(kind, payload):
    if kind == "stage":
        logger.info("%s", payload["stage"])
    elif kind == "progress":
        logger.debug("%s: %d/%d", payload["stage"], payload["step"], payload["total"])
    elif kind == "record":
        logger.debug("%s", payload)
    elif kind == "message":
        logger.log(_LEVELS.get(payload["level"], logging.INFO), "%s", payload["text"])
