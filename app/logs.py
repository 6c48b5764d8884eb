"""Structured JSON logs on stdout, each line carrying the request id of the request it belongs to."""

import logging
import logging.config
from typing import Any


class DropColourCodes(logging.Filter):
    """uvicorn attaches a terminal-coloured copy of each message; a JSON line needs only the plain one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def configure_logging(level: str, *, access_log: bool = False) -> None:
    """JSON lines on stdout at `level`; uvicorn's access log (a line per request) only when `access_log`."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"},
            "plain": {"()": DropColourCodes},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "correlation_id": "request_id"},
            }
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id", "plain"]},
        },
        "root": {"handlers": ["stdout"], "level": level.upper()},
        "loggers": {
            # uvicorn's own loggers propagate to the root handler, so they are JSON too. uvicorn writes access
            # lines only when its access logger has a handler, so an access logger that does not propagate is off.
            "uvicorn": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.access": {"handlers": [], "propagate": access_log, "level": level.upper()},
        },
    }
    logging.config.dictConfig(config)
