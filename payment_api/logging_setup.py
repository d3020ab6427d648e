"""Logging: stdlib logging routed through structlog's ProcessorFormatter, one line per record.

LOG_FORMAT=json (default) writes one JSON object per line; `console` writes aligned key=value
text for humans. The request id lives in a context variable (set by the access-log middleware):
every record logged while a request runs carries it, and the outgoing calls forward it.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

# Server loggers that keep their own handlers by default: routed to ours instead. The
# server's access log stays off: our access line (observability.py) replaces it.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")
HANDLER_NAME = "structlog-json"
SERVER_ACCESS_LOGGER = "uvicorn.access"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return REQUEST_ID.get()


def add_request_id(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_request_id,
]


def _configure_structlog() -> None:
    """structlog loggers hand their records to stdlib logging (never print to stdout, where
    the CLIs write their answers)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


_configure_structlog()


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    _configure_structlog()
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if fmt != "console":
        final.append(structlog.processors.format_exc_info)
    final.append(renderer)
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=SHARED, processors=final)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    # Replace only our own handler (create_app may run twice; pytest's capture handlers stay).
    root.handlers = [h for h in root.handlers if h.get_name() != HANDLER_NAME] + [handler]
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers = []
        server_logger.propagate = True
    server_access = logging.getLogger(SERVER_ACCESS_LOGGER)
    server_access.handlers = []
    server_access.propagate = False


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
