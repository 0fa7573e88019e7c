"""The one way a text message leaves the system: ``send_sms(number=…, text=…)`` through the backend the
setting ``SMS_BACKEND`` names.

Sign-in codes (``accounts``) and the outbox's SMS channel (``notifications.channels.SmsChannel``) both
send through here. Shipped backends:

- ``file``: each message one file under ``SMS_FILE_PATH`` (the demo's and the tests' default);
  ``read_sent_sms()`` reads them back, oldest first.
- ``console``: each message printed to standard output (the production default until a gateway is
  configured, so codes end up in the server's log rather than nowhere).
- a dotted path to a class a deployment adds: a subclass of ``SmsBackend`` whose ``send`` hands the
  message to the operator's gateway (Aliyun SMS, Tencent Cloud SMS, a carrier's SMPP, …).
"""
import os
import sys
import tempfile
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(ABC):
    """Hands one text message to a gateway. ``send`` returns once the gateway accepted it and raises on
    any failure (the caller decides whether to try again)."""

    @abstractmethod
    def send(self, *, number: str, text: str) -> None:
        """Send ``text`` to ``number`` (E.164, e.g. ``+8613800138000``)."""


class FileSmsBackend(SmsBackend):
    """Writes each message to its own file in ``SMS_FILE_PATH``: the first line ``To: <number>``, a
    blank line, then the text. File names sort by the time of sending and never collide; a file appears
    whole or not at all (written aside, then renamed)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, *, number: str, text: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.txt"
        handle, temporary = tempfile.mkstemp(dir=self.path, prefix=".sending-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(f"To: {number}\n\n{text}\n")
            os.replace(temporary, self.path / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class ConsoleSmsBackend(SmsBackend):
    """Prints each message to standard output, as Django's console e-mail backend does."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, number: str, text: str) -> None:
        with self._lock:
            self.stream.write(f"SMS to {number}:\n{text}\n{'-' * 40}\n")
            self.stream.flush()


_SHORT_NAMES = {"file": FileSmsBackend, "console": ConsoleSmsBackend}


def sms_backend() -> SmsBackend:
    """The backend ``SMS_BACKEND`` names: ``file``, ``console`` or a dotted path to an ``SmsBackend``."""
    name = settings.SMS_BACKEND
    backend_class = _SHORT_NAMES.get(name) or import_string(name)
    return backend_class()


def send_sms(*, number: str, text: str) -> None:
    """Send one text message now; raises if the gateway refused it or could not be reached."""
    sms_backend().send(number=number, text=text)


@dataclass(frozen=True)
class SentSms:
    number: str
    text: str
    path: Path


def read_sent_sms(*, number: str | None = None, path: str | os.PathLike | None = None) -> list[SentSms]:
    """The messages the ``file`` backend wrote (to ``number`` only, if given), oldest first."""
    folder = Path(path or settings.SMS_FILE_PATH)
    if not folder.is_dir():
        return []
    messages = []
    for file in sorted(folder.glob("*.txt")):
        head, _blank, text = file.read_text(encoding="utf-8").partition("\n\n")
        to = head.removeprefix("To: ").strip()
        if number is None or to == number:
            messages.append(SentSms(number=to, text=text.rstrip("\n"), path=file))
    return messages
