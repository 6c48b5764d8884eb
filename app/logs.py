"""Structured JSON logs on stdout, each line carrying the request id of the request it belongs to."""

import logging
import logging.config
from typing import Any


class DropColourCodes(logging.Filter):
    """uvicorn attaches a terminal-coloured copy of each message; a JSON line needs only the plain one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


# What any client can make a library log at WARNING on every request: a line per request an attacker chooses is a
# flood, not a signal. These are logged at DEBUG instead (uvicorn's messages by their fixed text).
CLIENT_FAULTS: dict[str, tuple[str, ...]] = {
    "asgi_correlation_id": ("",),  # its one warning: an X-Request-ID that is not a valid id (a new one is made)
    "uvicorn.error": ("Invalid HTTP request received.", "Unsupported upgrade request.", "No supported WebSocket"),
}


class DemoteClientFaults(logging.Filter):
    """On a logger: a record of CLIENT_FAULTS becomes DEBUG, and goes on only if the logger logs DEBUG."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not str(record.msg).startswith(self.prefixes):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def configure_logging(level: str, *, access_log: bool = False) -> None:
    """JSON lines on stdout at `level`; uvicorn's access log (a line per request) only when `access_log`."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"},
            "plain": {"()": DropColourCodes},
            **{
                f"demote_{name}": {"()": DemoteClientFaults, "prefixes": prefixes}
                for name, prefixes in CLIENT_FAULTS.items()
            },
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "correlation_id": "request_id"},
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id", "plain"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {
            # uvicorn's own loggers propagate to the root handler, so they are JSON too. uvicorn writes access
            # lines only when its access logger has a handler, so an access logger that does not propagate is off.
            "uvicorn": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.error": {
                "handlers": [],
                "propagate": True,
                "level": level.upper(),
                "filters": ["demote_uvicorn.error"],
            },
            "asgi_correlation_id": {"handlers": [], "propagate": True, "filters": ["demote_asgi_correlation_id"]},
            "uvicorn.access": {"handlers": [], "propagate": access_log, "level": level.upper()},
        },
    }
    logging.config.dictConfig(config)
