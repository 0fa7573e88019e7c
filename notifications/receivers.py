"""Who is told what when an issue moves: receivers of ``issues.signals``, connected in
``NotificationsConfig.ready()``. The table ``TOLD`` is the whole policy, keyed by the action string
of the issue event (actions another app adds, such as escalations, are told the same way).

Texts are written in the district's default language (zh-hans) whoever reads them; the person who
took the step is not told about it.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, IssueEvent

from . import recipients
from .services import notify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tell:
    audience: tuple[Callable, ...]  # recipient helpers, each issue → users
    text: str  # a lazy msgid with %(number)s and %(title)s
    key: str = ""  # appended to the event's dedupe key when one event tells two audiences two things


def _overdue_audience(issue):
    return recipients.owner_staff(issue) + recipients.supervisors_of(issue) + recipients.handler_staff(issue)


TOLD: dict[str, list[Tell]] = {
    "submit": [Tell((recipients.owner_staff,), _("New whistle %(number)s “%(title)s” is waiting for you to "
                                                 "accept it."))],
    "accept": [Tell((recipients.reporter,), _("Your whistle %(number)s “%(title)s” has been accepted."))],
    "reject": [Tell((recipients.reporter,), _("Your whistle %(number)s “%(title)s” was not accepted; "
                                              "the issue page says why."))],
    "dispatch": [
        Tell((recipients.handler_staff,), _("Whistle %(number)s “%(title)s” has been dispatched to you: "
                                            "please report for duty.")),
        Tell((recipients.assisting_staff,), _("Your department is asked to assist with whistle %(number)s "
                                              "“%(title)s”: please report for duty."), key="assist"),
    ],
    "respond": [Tell((recipients.reporter,), _("The handler has reported for duty on your whistle %(number)s "
                                               "“%(title)s”."))],
    "resolve": [Tell((recipients.owner_staff,), _("Whistle %(number)s “%(title)s” is resolved: please verify "
                                                  "the result."))],
    "close": [Tell((recipients.reporter,), _("Your whistle %(number)s “%(title)s” is done and crossed off: "
                                             "please rate it."))],
    "return": [Tell((recipients.handler_staff,), _("Whistle %(number)s “%(title)s” was returned to you: the "
                                                   "result did not pass verification."))],
    "reopen": [Tell((recipients.handler_staff,), _("The resident is not satisfied with whistle %(number)s "
                                                   "“%(title)s”: it is back with you."))],
    # After these events the owner is already the new tier: the upper one, or the lower one on send-back.
    "escalate": [Tell((recipients.owner_staff,), _("Whistle %(number)s “%(title)s” was whistled up to you by "
                                                   "the tier below."))],
    "auto_escalate": [Tell((recipients.owner_staff,), _("Whistle %(number)s “%(title)s” missed its response "
                                                        "deadline and was escalated to you."))],
    "send_back": [Tell((recipients.owner_staff,), _("Whistle %(number)s “%(title)s” was sent back to you by the "
                                                    "tier above."))],
    "assist_report": [Tell((recipients.handler_staff,), _("An assisting department has reported its part on "
                                                          "whistle %(number)s “%(title)s”."))],
    "assist_release": [Tell((recipients.released_staff,), _("Your department no longer assists with whistle "
                                                             "%(number)s “%(title)s”: the issue page says why.")),
                       Tell((recipients.handler_staff,), _("An assisting department was released from whistle "
                                                           "%(number)s “%(title)s”: you no longer wait for its "
                                                           "part."), key="lead")],
    "overdue": [Tell((_overdue_audience,), _("Whistle %(number)s “%(title)s” has missed its deadline."))],
    # On-site checks (issues.models.SiteCheck): the officer asked is told, then the owner of the answer.
    "verify_ask": [Tell((recipients.checker,), _("Please verify whistle %(number)s “%(title)s” on site: is it "
                                                 "real?"))],
    "inspect_ask": [Tell((recipients.checker,), _("Please check on site that whistle %(number)s “%(title)s” is "
                                                  "really fixed."))],
    "verify_report": [Tell((recipients.owner_staff,), _("The grid officer has verified whistle %(number)s "
                                                        "“%(title)s” on site: please decide whether to accept it."))],
    "inspect_pass": [Tell((recipients.owner_staff,), _("The grid officer found whistle %(number)s “%(title)s” "
                                                       "fixed on site: you may cross it off."))],
    "inspect_fail": [Tell((recipients.owner_staff,), _("The grid officer found whistle %(number)s “%(title)s” "
                                                       "not fixed on site: it went back to the handler.")),
                     Tell((recipients.handler_staff,), _("Whistle %(number)s “%(title)s” was returned to you: the "
                                                         "on-site check found it not fixed."), key="handler")],
    "fix_on_spot": [Tell((recipients.owner_staff,), _("Whistle %(number)s “%(title)s” was fixed on the spot by "
                                                      "the grid officer: please verify and cross it off."))],
}


def issue_submitted_notify(sender, issue_id, issue=None, **kwargs):
    _tell(issue_id=issue_id, action="submit", issue=issue)


def issue_changed_notify(sender, issue_id, action, event_id=None, issue=None, event=None, **kwargs):
    _tell(issue_id=issue_id, action=str(action), event_id=event_id, issue=issue, event=event)


def _tell(*, issue_id: int, action: str, event_id: int | None = None, issue: Issue | None = None,
          event: IssueEvent | None = None) -> None:
    """Tell the audiences of ``action``, in the transaction of the change (see ``issues.signals``); the
    issue and the event, when the sender has them, save reading them."""
    tells = TOLD.get(action)
    if not tells:
        return
    # A savepoint: a failure here is logged and leaves the resident's action to commit without its
    # notifications, never turns it into an error page.
    try:
        with transaction.atomic():
            if issue is None:
                issue = Issue.objects.only("number", "title", "owner_tier", "community", "street", "reporter",
                                           "handler", "handler_department", "filed_by").get(pk=issue_id)
            if event is not None:
                actor_id, base_key = event.actor_id, f"event:{event.pk}"
            elif event_id is not None:
                actor_id = IssueEvent.objects.filter(pk=event_id).values_list("actor_id", flat=True).first()
                base_key = f"event:{event_id}"
            else:
                actor_id, base_key = issue.filed_by_id, f"issue:{issue_id}:{action}"
            link = reverse("issues:issue", args=[issue.number])
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("[Jianhua whistle] %(number)s %(title)s") % {"number": issue.number, "title": issue.title}
                for tell in tells:
                    people = [person for audience in tell.audience for person in audience(issue)
                              if person.pk != actor_id]
                    text = tell.text % {"number": issue.number, "title": issue.title}
                    notify(people, kind=action, text=text, issue=issue, link=link, subject=str(subject),
                           dedupe_key=f"{base_key}:{tell.key}" if tell.key else base_key)
    except Exception:
        logger.exception("Could not notify about %s of issue %s (event %s)", action, issue_id, event_id)
