"""Residents sign up and sign in with a mainland mobile number and a 6-digit SMS code; they may take
their data and close their account. The only writers of the accounts' models. The pages, the filing
page's inline confirmation (JSON) and the API all call these services:

- ``phone_code_request`` sends a code (one per number per PHONE_CODE_RESEND_SECONDS, at most
  PHONE_CODES_PER_DAY a day per number – the day in Asia/Shanghai –, PHONE_CODES_PER_ADDRESS_PER_HOUR
  per client address); a new code replaces the older ones;
- ``phone_code_verify`` checks it (valid PHONE_CODE_VALID_SECONDS, single use, dead after
  PHONE_CODE_MAX_ATTEMPTS wrong tries) and answers the account: a number seen for the first time
  becomes a resident's account, with consent to the privacy notice recorded;
- ``account_delete`` anonymises a resident's account and their whistles (PIPL).

Phone sign-in is for residents only: a number that belongs to a staff account is refused and its owner
told to use the staff sign-in (username + password, with the lockout) – a code by SMS must not become
a second, weaker door into a staff account.

Errors are ``PhoneSignInError`` with a message for the person, the field it concerns, the HTTP status
(400, 403, 429) and, for limits, ``retry_after`` seconds. Anything else is a fault.
"""
import datetime
import secrets
import zlib
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from grids.models import DELETED_USERNAME_PREFIX, Role
from issues.models import Issue
from issues.retention import ErasureReason, issues_personal_data_erase
from jianhua.errors import ServiceError
from notifications.models import Notification, OutboxMessage
from notifications.sms import send_sms

from .models import PhoneCode, PrivacyConsent, ResidentPhone

User = get_user_model()

# Gateways in China send only texts from templates registered with the signature 【…】, in Chinese:
# the text is the same whatever language the page was in.
SMS_TEXT = "【建华区吹哨报到】验证码 {code}，{minutes}分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。"
CODE_DIGITS = 6


class PhoneSignInError(ServiceError):
    def __init__(self, message, *, field="phone", status=400, retry_after=None):
        super().__init__(message, field=field, status_code=status, retry_after=retry_after)

    @property
    def status(self) -> int:
        return self.status_code


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool


def mainland_mobile(text: str) -> str:
    """The number in E.164 (+8613800138000) if ``text`` is a mainland China mobile number, written as
    residents write it (13800138000, 138 0013 8000, +86 138…); PhoneSignInError otherwise."""
    try:
        number = phonenumbers.parse((text or "").strip()[:32], "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (number is None or phonenumbers.region_code_for_number(number) != "CN"
            or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise PhoneSignInError(_("Enter a mainland China mobile number (11 digits, e.g. 13800138000)."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)




def _hash(number: str, code: str, salt: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone does not give the codes away.
    return salt + "$" + salted_hmac("accounts.phone-code", f"{number}:{code}:{salt}",
                                    algorithm="sha256").hexdigest()


def _matches(row: PhoneCode, code: str) -> bool:
    salt = row.code_hash.split("$", 1)[0]
    return constant_time_compare(row.code_hash, _hash(row.number, code, salt))


def _seconds_until_midnight(now) -> int:
    local = timezone.localtime(now)
    midnight = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), datetime.time(),
                                         tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))


def _lock_number(number: str) -> None:
    """Serialise requests for one number until the transaction ends, so that two taps at the same
    moment cannot both pass the limits: PostgreSQL's transaction-scoped advisory lock; SQLite lets one
    writer at a time anyway, and the expiring UPDATE that follows makes this transaction the writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x4A48, zlib.crc32(number.encode()) - 2**31])


def accepted_notice_version(consent: bool, notice_version: str | None = None) -> str | None:
    """The privacy notice version a request consents to: with ``consent``, the ``notice_version`` the
    page showed (the current one if it does not say); None without consent."""
    return (notice_version or settings.PRIVACY_NOTICE_VERSION) if consent else None


def _consent_version(version: str | None) -> str:
    """The version consented to: the current one, or "" for none. A page rendered before the notice
    changed is refused, so nobody consents to a text they did not see."""
    if not version:
        return ""
    if version != settings.PRIVACY_NOTICE_VERSION:
        raise PhoneSignInError(_("The privacy notice has changed since this page was opened: read it again, "
                                 "then accept it."), field="consent")
    return version


def _staff_number(number: str) -> bool:
    # User.phone is free text (the admin takes "139 0013 9000", "+86 139-0013-9000", …): the staff
    # whose phone holds the number's last four digits, compared as E.164.
    candidates = (User.objects.exclude(role=Role.RESIDENT).filter(phone__contains=number[-4:])
                  .values_list("phone", flat=True))
    for phone in candidates:
        try:
            if mainland_mobile(phone) == number:
                return True
        except PhoneSignInError:
            continue
    return False


def _refuse_staff_or_closed(number: str, known: ResidentPhone | None) -> None:
    if (known.user.role != Role.RESIDENT) if known is not None else _staff_number(number):
        raise PhoneSignInError(_("This number belongs to a staff account: staff sign in with their username and "
                                 "password."), status=403)
    if known is not None and not known.user.is_active:
        raise PhoneSignInError(_("The account of this number is closed."), status=403)


@transaction.atomic
def phone_code_request(*, phone: str, client_ip: str | None, consent_version: str | None = None) -> PhoneCode:
    """Send a new 6-digit code to the number by SMS; earlier codes of the number stop working.
    ``consent_version``: the privacy notice version the visitor accepted when asking (then the code
    alone opens a new account). Returns the code's row (its ``expires_at``; the code itself is only in
    the SMS). Refuses numbers that are not mainland mobiles (400), staff or closed accounts (403) and
    requests over the limits (429, with ``retry_after``)."""
    number = mainland_mobile(phone)
    version = _consent_version(consent_version)
    _refuse_staff_or_closed(number, ResidentPhone.objects.select_related("user").filter(number=number).first())
    _lock_number(number)
    now = timezone.now()
    # Older codes die (a newer code supersedes them; rolled back with a refusal below, so they stay good
    # then); this is also the write that serialises SQLite.
    PhoneCode.objects.filter(number=number, used_at=None, expires_at__gt=now).update(expires_at=now)
    last = PhoneCode.objects.filter(number=number).order_by("-created_at").first()
    wait = settings.PHONE_CODE_RESEND_SECONDS
    if last is not None and (now - last.created_at).total_seconds() < wait:
        retry_after = max(1, int(wait - (now - last.created_at).total_seconds()))
        raise PhoneSignInError(_("A code was sent to this number a moment ago. You can ask for another one in "
                                 "%(seconds)s seconds.") % {"seconds": retry_after}, status=429, retry_after=retry_after)
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if PhoneCode.objects.filter(number=number, created_at__gte=day_start).count() >= settings.PHONE_CODES_PER_DAY:
        raise PhoneSignInError(_("This number has had as many codes as one day allows. Try again tomorrow."),
                               status=429, retry_after=_seconds_until_midnight(now))
    per_address = settings.PHONE_CODES_PER_ADDRESS_PER_HOUR
    if client_ip and per_address:
        recent = PhoneCode.objects.filter(client_ip=client_ip, created_at__gt=now - datetime.timedelta(hours=1))
        if recent.count() >= per_address:
            oldest = recent.order_by("created_at").values_list("created_at", flat=True)[0]
            raise PhoneSignInError(_("Too many codes were asked for from your network. Try again later."),
                                   status=429, retry_after=max(1, int((oldest + datetime.timedelta(hours=1)
                                                                       - now).total_seconds())))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = PhoneCode.objects.create(
        number=number, code_hash=_hash(number, code, secrets.token_hex(8)), created_at=now,
        expires_at=now + datetime.timedelta(seconds=settings.PHONE_CODE_VALID_SECONDS), client_ip=client_ip,
        consent_version=version)
    # Sent inside the transaction: if the gateway fails, no code is recorded and the visitor may try
    # again at once (the outbox's retries would deliver a code long after it expired).
    send_sms(number=number, text=SMS_TEXT.format(code=code, minutes=settings.PHONE_CODE_VALID_SECONDS // 60))
    return row


def phone_code_verify(*, phone: str, code: str, client_ip: str | None,
                      consent_version: str | None = None) -> SignIn:
    """The account the number signs in to, if ``code`` is its live code; the code is then used up.
    A number seen for the first time becomes a resident's account (a generated username, no usable
    password, no name) – with consent to the privacy notice, given now or when the code was asked
    for; without it the code is refused (field ``consent``) but stays good for a second try.
    A wrong code counts against the code (PHONE_CODE_MAX_ATTEMPTS), even when the error is raised."""
    number = mainland_mobile(phone)
    code = (code or "").strip()
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        raise PhoneSignInError(_("Enter the 6-digit code from the text message."), field="code")
    version = _consent_version(consent_version)
    with transaction.atomic():
        now = timezone.now()
        # Locked: of two requests with the same right code, the second finds it used.
        row = PhoneCode.objects.select_for_update().filter(number=number).order_by("-created_at", "-pk").first()
        problem = _dead(row, now)
        if problem is None and not _matches(row, code):
            PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            left = settings.PHONE_CODE_MAX_ATTEMPTS - row.attempts - 1
            problem = (_("Wrong code: %(left)s tries left.") % {"left": left} if left > 0 else
                       _("Wrong code too many times: this code no longer works. Ask for a new one."))
        if problem is None:
            return _sign_in(row, number, now, client_ip, version or row.consent_version)
    raise PhoneSignInError(problem, field="code")  # after the commit: the wrong try stays counted


def _dead(row, now):
    if row is None:
        return _("No code has been sent to this number. Ask for a code first.")
    if row.used_at:
        return _("This code has been used already. Ask for a new one.")
    if row.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
        return _("Wrong code too many times: this code no longer works. Ask for a new one.")
    if row.expires_at <= now:
        return _("This code has expired. Ask for a new one.")
    return None


def _sign_in(row, number, now, client_ip, version) -> SignIn:
    known = ResidentPhone.objects.select_related("user").filter(number=number).first()
    _refuse_staff_or_closed(number, known)
    current = settings.PRIVACY_NOTICE_VERSION
    if known is None and version != current:
        raise PhoneSignInError(_("To open an account, read the privacy notice and accept it."), field="consent")
    PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
    if known is not None:
        user = known.user
        if version == current and not user.privacy_consents.filter(notice_version=current).exists():
            PrivacyConsent.objects.create(user=user, notice_version=current, consented_at=now, client_ip=client_ip)
        return SignIn(user, False)
    user = User(username=_new_username(), role=Role.RESIDENT, phone=number[-11:])
    user.set_unusable_password()
    user.save()
    ResidentPhone.objects.create(user=user, number=number, verified_at=now)
    PrivacyConsent.objects.create(user=user, notice_version=current, consented_at=now, client_ip=client_ip)
    return SignIn(user, True)


def _new_username() -> str:
    while True:
        username = f"resident-{secrets.token_hex(5)}"
        if not User.objects.filter(username=username).exists():
            return username


def may_close_account(user) -> bool:
    """Residents close their own accounts; staff accounts are closed by an administrator."""
    return user.role == Role.RESIDENT


@transaction.atomic
def account_delete(*, user) -> None:
    """Close a resident's account for good (PIPL's right to deletion). The user row stays, so that the
    whistles and their timelines keep their foreign keys, but it no longer names anyone: inactive, the
    username replaced (the timeline shows "a deleted account"), names, phone and e-mail cleared, no
    usable password (which also ends every session: Django checks a session against the password's
    hash). The mobile number, the codes sent to it, API tokens, notifications and queued messages are
    deleted; the consent records stay as proof, without the address. The whistles stay for the staff
    handling them, without the reporter's name, phone or other contacts (``issues.retention``, which says so
    on their timelines); the account's change history keeps no name or number either. Staff accounts are
    refused."""
    if not may_close_account(user):
        raise PhoneSignInError(_("Staff accounts are closed by an administrator, not by their holder."),
                               field=None, status=403)
    numbers = list(ResidentPhone.objects.filter(user=user).values_list("number", flat=True))
    PhoneCode.objects.filter(number__in=[str(n) for n in numbers]).delete()
    ResidentPhone.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    Notification.objects.filter(recipient=user).delete()
    OutboxMessage.objects.filter(recipient=user).delete()
    PrivacyConsent.objects.filter(user=user).update(client_ip=None)
    issues_personal_data_erase(issues=Issue.objects.filter(reporter=user), reason=ErasureReason.ACCOUNT_CLOSED)
    user.username = f"{DELETED_USERNAME_PREFIX}{user.pk}"
    user.first_name = user.last_name = user.full_name = user.email = user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    # The account's change history (jianhua.history) keeps its changes, without the person's name or number.
    User.history.filter(id=user.pk).update(username=user.username, first_name="", last_name="", full_name="",
                                           email="", phone="")


def phone_codes_purge(*, older_than_days: int | None = None) -> int:
    """Delete codes sent more than PHONE_CODE_RETENTION_DAYS ago (the privacy notice promises it);
    answers how many. Younger ones are kept for the daily limits and for tracing abuse."""
    days = settings.PHONE_CODE_RETENTION_DAYS if older_than_days is None else older_than_days
    deleted, _rows = PhoneCode.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=days)).delete()
    return deleted
