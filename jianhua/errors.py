"""The one error a service raises when it refuses, and what its HTTP answer is.

Services (``issues.services``, ``accounts.services`` …) raise a ``ServiceError`` subclass with a message
for the person and, where one input is at fault, its field. The API answers every one the same way
(``jianhua.api.exception_handler``: ``{"detail", "field"}`` with ``status_code`` and ``headers``); the
pages show the message beside the field or on the refusal page.
"""


class ServiceError(Exception):
    """Refused: ``message`` says why; ``status_code`` is the HTTP answer (400 bad input, 403 not yours,
    409 moved on meanwhile, 429 too often – with ``retry_after`` seconds)."""

    status_code = 400

    def __init__(self, message, *, field=None, status_code: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code
        self.retry_after = retry_after

    @property
    def headers(self) -> dict:
        """The HTTP headers of the answer: Retry-After for a limit."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
