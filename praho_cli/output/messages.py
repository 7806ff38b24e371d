"""Messages for people (stderr): success notes, warnings, errors, and JSON-lines logs for cron."""

from __future__ import annotations

import json
import logging
from typing import Any

from praho_cli.output.streams import Streams


class Messenger:
    def __init__(self, streams: Streams, run_id: str) -> None:
        self.streams = streams
        self.run_id = run_id

    def _write(self, line: str) -> None:
        err = self.streams.env.stderr
        err.write(line + "\n")
        err.flush()

    def _log(self, level: str, event: str, message: str, **fields: Any) -> None:
        record = {
            "ts": self.streams.env.clock().isoformat().replace("+00:00", "Z"),
            "level": level,
            "run_id": self.run_id,
            "event": event,
            "message": message,
        }
        record.update(fields)
        self._write(json.dumps(record, default=str, ensure_ascii=False))

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.streams.color else text

    def success(self, message: str, event: str = "done", **fields: Any) -> None:
        if self.streams.quiet:
            return
        if self.streams.log_json:
            self._log("info", event, message, **fields)
        else:
            self._write(self._paint("✓", "32") + " " + message)

    def info(self, message: str, event: str = "info", **fields: Any) -> None:
        if self.streams.quiet:
            return
        if self.streams.log_json:
            self._log("info", event, message, **fields)
        else:
            self._write(message)

    def debug(self, message: str, event: str = "debug", **fields: Any) -> None:
        if not self.streams.verbose:
            return
        if self.streams.log_json:
            self._log("debug", event, message, **fields)
        else:
            self._write(self._paint(message, "2"))

    def warning(self, message: str, event: str = "warning", **fields: Any) -> None:
        if self.streams.log_json:
            self._log("warning", event, message, **fields)
        else:
            self._write(self._paint("warning:", "33") + " " + message)

    def error(self, message: str, event: str = "error", **fields: Any) -> None:
        if self.streams.log_json:
            self._log("error", event, message, **fields)
        else:
            self._write(self._paint("error:", "31") + " " + message)


class MessengerHandler(logging.Handler):
    """Routes the ``praho_cli`` loggers (transports, services' diagnostics) through the Messenger, so
    they honour --quiet, --verbose and --log-format json like every other message."""

    def __init__(self, messenger: Messenger) -> None:
        super().__init__(logging.DEBUG)
        self.messenger = messenger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call must not break the command
            return
        event = record.name.removeprefix("praho_cli.")
        if record.levelno >= logging.ERROR:
            self.messenger.error(text, event=event)
        elif record.levelno >= logging.WARNING:
            self.messenger.warning(text, event=event)
        elif record.levelno >= logging.INFO:
            self.messenger.debug(text, event=event)
        else:
            self.messenger.debug(text, event=event)


def install_log_handler(messenger: Messenger) -> None:
    logger = logging.getLogger("praho_cli")
    for handler in list(logger.handlers):
        if isinstance(handler, MessengerHandler):
            logger.removeHandler(handler)
    logger.addHandler(MessengerHandler(messenger))
    logger.setLevel(logging.DEBUG if messenger.streams.verbose else logging.WARNING)
    logger.propagate = False
