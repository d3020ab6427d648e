"""Logging: stdlib logging routed through structlog's ProcessorFormatter, one line per record.

LOG_FORMAT=json writes one JSON object per line on stderr; `console` writes key=value text for
humans. The request id lives in a context variable the web layer sets per request: every record
logged meanwhile carries it, and outgoing calls can forward it.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

HANDLER_NAME = "structlog-json"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
QUIET_OPERATIONS = frozenset({"metrics"})  # scrapes are counted, not logged


@dataclass(frozen=True)
class ServerLoggers:
    """A server's own loggers: `routed` lose their handlers and reach ours; `access` is silenced,
    since our access line (AccessLog) replaces it."""

    routed: tuple[str, ...]
    access: str


GUNICORN = ServerLoggers(routed=("gunicorn.error",), access="gunicorn.access")
UVICORN = ServerLoggers(routed=("uvicorn", "uvicorn.error"), access="uvicorn.access")


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return REQUEST_ID.get()


def add_request_id(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


STAMPS: list[Processor] = [structlog.processors.TimeStamper(fmt="iso", utc=True), add_request_id]
SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    *STAMPS,
]


def _configure_structlog() -> None:
    """structlog loggers hand their records to stdlib logging (never print to stdout, where the
    CLIs write their answers)."""
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


def _renderer(fmt: str) -> Processor:
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer()


def configure_logging(level: str, fmt: str, server: ServerLoggers) -> None:
    _configure_structlog()
    renderer = _renderer(fmt)
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if fmt != "console":
        final.append(structlog.processors.format_exc_info)
    final.append(renderer)
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=SHARED, processors=final)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    # Replace only our own handler (an app factory may run twice; pytest's capture handlers stay).
    root.handlers = [h for h in root.handlers if h.get_name() != HANDLER_NAME] + [handler]
    root.setLevel(level)
    for name in server.routed:
        server_logger = logging.getLogger(name)
        server_logger.handlers = []
        server_logger.propagate = True
    server_access = logging.getLogger(server.access)
    server_access.handlers = []
    server_access.propagate = False
    _ACCESS.configure(logging.getLevelNamesMapping().get(level.upper(), logging.INFO), renderer)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)


class _AccessSink:
    """Where access lines go: structlog's own logger writing straight to stderr, not the stdlib
    bridge (a LogRecord, a handler and a second processor chain per request cost about a tenth
    of a payment read: bench/RESULTS.md). The line is the one the bridge wrote: same keys, same
    order, same level filter (LOG_LEVEL), same renderer (LOG_FORMAT)."""

    def __init__(self) -> None:
        self.generation = 0
        self.level = logging.INFO
        self.renderer: Processor = _renderer("json")

    def configure(self, level: int, renderer: Processor) -> None:
        self.level, self.renderer = level, renderer
        self.generation += 1  # AccessLogs rebuild their logger on their next line

    def logger(self, name: str) -> Any:
        return structlog.wrap_logger(
            structlog.WriteLogger(sys.stderr),  # the stream of this configuration, like the handler
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                _logger_named(name),
                *STAMPS,
                self.renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(self.level),
        )


def _logger_named(name: str) -> Processor:
    def add_logger_name(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        event_dict["logger"] = name
        return event_dict

    return add_logger_name


_ACCESS = _AccessSink()


class AccessLog:
    """One line per answered request, labelled by operationId (never the raw path alone)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._generation = -1
        self._log: Any = None

    def record(
        self, *, method: str, path: str, operation: str, status: int, seconds: float
    ) -> None:
        if operation in QUIET_OPERATIONS:
            return
        if self._generation != _ACCESS.generation:
            self._log, self._generation = _ACCESS.logger(self.name), _ACCESS.generation
        self._log.info(
            "request",
            method=method,
            path=path,
            operation=operation,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )
