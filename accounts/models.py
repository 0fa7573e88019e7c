"""Residents' accounts: the mobile number a resident signs in with, the one-time codes sent to it,
and the privacy notice each resident consented to (PIPL). Staff accounts keep username + password."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class ResidentPhone(models.Model):
    """The verified mainland mobile number of a resident's account, in E.164 (+8613800138000)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="resident_phone",
                                verbose_name=_("account"))
    number = PhoneNumberField(_("mobile number"), region="CN", unique=True)
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        verbose_name = _("resident's mobile number")
        verbose_name_plural = _("residents' mobile numbers")

    def __str__(self):
        return str(self.number)


class PhoneCode(models.Model):
    """One 6-digit code sent by SMS. Only a salted hash is kept; a code is good for one sign-in, for
    PHONE_CODE_VALID_SECONDS, and dies after PHONE_CODE_MAX_ATTEMPTS wrong tries."""

    number = models.CharField(_("mobile number"), max_length=16, db_index=True)  # E.164
    code_hash = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("sent at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True, db_index=True)
    # The privacy notice version the visitor accepted when asking for the code ("" if not).
    consent_version = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["number", "-created_at"], name="phonecode_number_latest")]

    def __str__(self):
        return f"{self.number} {self.created_at:%Y-%m-%d %H:%M}"


class PrivacyConsent(models.Model):
    """A resident accepted a version of the privacy notice, at a time, from an address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="privacy_consents",
                             verbose_name=_("account"))
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    consented_at = models.DateTimeField(_("consented at"))
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        ordering = ["-consented_at"]

    def __str__(self):
        return f"{self.user} · {self.notice_version}"
