"""How a message leaves the system: one adapter per channel, chosen by the setting
``NOTIFICATION_CHANNELS`` (channel → dotted path). SMS go through the one SMS gateway
(``notifications.sms``, its backend named by ``SMS_BACKEND``); a real WeChat gateway implements
``Channel`` and is named there; until then WeChat messages are written to the log."""
import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Channel(ABC):
    """Sends one outbox message. ``send`` returns when the message is handed over and raises on any
    failure; the outbox counts the attempt and tries again later (so ``send`` may be called again for
    the same message after a failure, never after a success)."""

    @abstractmethod
    def send(self, message) -> None:
        """Hand the message over to the channel's gateway."""


class EmailChannel(Channel):
    """E-mail through Django's configured backend (SMTP in production, the console locally), from
    ``DEFAULT_FROM_EMAIL``. The outbox row's id travels in a header, so a copy can be traced back."""

    def send(self, message) -> None:
        EmailMessage(
            subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.address],
            headers={"X-Jianhua-Outbox": str(message.pk)},
        ).send(fail_silently=False)


class SmsChannel(Channel):
    """Text messages through the SMS gateway that ``SMS_BACKEND`` names (the same one that sends the
    residents' sign-in codes)."""

    def send(self, message) -> None:
        from .sms import send_sms

        send_sms(number=message.address, text=message.body)


class LoggingWeChatChannel(Channel):
    """Stands in for a WeChat template-message gateway: logs what would be sent."""

    def send(self, message) -> None:
        logger.info("WeChat message to %s (outbox %s): %s", message.address, message.pk, message.body)


def channel_for(name: str) -> Channel:
    """The adapter the settings name for a channel (``email``, ``sms``, ``wechat``)."""
    return import_string(settings.NOTIFICATION_CHANNELS[name])()
