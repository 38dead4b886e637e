import logging

from qaryz.core.request_context import get_request_id


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every log record so support can find it from the error page."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id()
        return True
