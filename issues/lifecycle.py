"""The issue lifecycle: one state machine, defined here and nowhere else.

The state says where the work is; the owner (tier) and the handler say who holds it. Each action
names the states it may start from, the state it leads to and who in the story may take it. The
services in ``issues.services`` are the only writers and ask ``transition_for`` before every change.
"""
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Status(models.TextChoices):
    SUBMITTED = "submitted", gettext_lazy("Submitted")  # 已提交: filed, waiting for the owning tier
    ACCEPTED = "accepted", gettext_lazy("Accepted")  # 已受理: on the owner's problem list
    REJECTED = "rejected", gettext_lazy("Rejected")  # 不予受理 (duplicates are merged into the original)
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")  # 已撤回 by the resident
    DISPATCHED = "dispatched", gettext_lazy("Dispatched")  # 已派单: a handler holds it
    RESPONDED = "responded", gettext_lazy("Reported for duty")  # 已报到: the handler is on it
    RESOLVED = "resolved", gettext_lazy("Resolved")  # 已办结: result reported, the owner verifies
    CLOSED = "closed", gettext_lazy("Closed")  # 已销号: crossed off; the resident rates
    ESCALATED = "escalated", gettext_lazy("Escalated")  # 已吹哨上报: the tier above has yet to accept it


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.RESPONDED, Status.RESOLVED,
                           Status.ESCALATED})
FINAL_STATUSES = frozenset({Status.REJECTED, Status.WITHDRAWN})


class Action(models.TextChoices):
    SUBMIT = "submit", gettext_lazy("Submit")
    ACCEPT = "accept", gettext_lazy("Accept")
    REJECT = "reject", gettext_lazy("Reject")
    WITHDRAW = "withdraw", gettext_lazy("Withdraw")
    DISPATCH = "dispatch", gettext_lazy("Dispatch")
    RESPOND = "respond", gettext_lazy("Report for duty")
    RESOLVE = "resolve", gettext_lazy("Resolve")
    CLOSE = "close", gettext_lazy("Close")
    RETURN = "return", gettext_lazy("Return to the handler")
    RATE = "rate", gettext_lazy("Rate")
    REOPEN = "reopen", gettext_lazy("Reopen")
    SUPPORT = "support", gettext_lazy("Me too")
    ESCALATE = "escalate", gettext_lazy("Whistle upward")  # 吹哨: the owner hands it to the tier above
    AUTO_ESCALATE = "auto_escalate", gettext_lazy("Escalated automatically")  # 接哨不报到: nobody reported in time
    SEND_BACK = "send_back", gettext_lazy("Send back down")  # the upper tier returns it (乱吹哨 when unjustified)
    ASSIST_RESPOND = "assist_respond", gettext_lazy("Assisting department reports for duty")
    ASSIST_REPORT = "assist_report", gettext_lazy("Assisting department reports its part")
    ASSIST_RELEASE = "assist_release", gettext_lazy("Release an assisting department")
    OVERDUE = "overdue", gettext_lazy("Deadline passed")  # marked by the timers: 接哨不报到 or 慢作为
    SUPERVISE = "supervise", gettext_lazy("Supervision")  # 督办: put on the supervision list, instructions
    # The reporter's personal data erased: PERSONAL_DATA_RETENTION_DAYS after closing, or the account closed.
    ERASE_PERSONAL_DATA = "erase_personal_data", gettext_lazy("Personal data erased")
    # On-site checks by the grid officer (issues.models.SiteCheck): 核实 before accepting, 核查 before closing.
    VERIFY_ASK = "verify_ask", gettext_lazy("Verification on site asked")
    VERIFY_REPORT = "verify_report", gettext_lazy("Verified on site")
    INSPECT_ASK = "inspect_ask", gettext_lazy("On-site check of the result asked")
    INSPECT_PASS = "inspect_pass", gettext_lazy("Checked on site: fixed")
    INSPECT_FAIL = "inspect_fail", gettext_lazy("Checked on site: not fixed")
    CHECK_CANCEL = "check_cancel", gettext_lazy("On-site check cancelled")
    FIX_ON_SPOT = "fix_on_spot", gettext_lazy("Fixed on the spot")  # 当场处置 by the officer who found it


class Actor(models.TextChoices):
    """Who in the story may take an action (``issues.rules`` decides whether a user is that person)."""

    REPORTER = "reporter", gettext_lazy("the resident who filed it")
    OWNER = "owner", gettext_lazy("the owning tier")
    HANDLER = "handler", gettext_lazy("the handler")
    ASSISTANT = "assistant", gettext_lazy("an assisting department")
    SYSTEM = "system", gettext_lazy("the system")
    ANYONE = "anyone", gettext_lazy("any resident")
    CHECKER = "checker", gettext_lazy("the grid officer asked to check")
    FINDER = "finder", gettext_lazy("the grid officer who filed it")


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset
    target: Status | None  # None: the state stays (a rating, a "me too")
    actor: Actor


TRANSITIONS = {
    t.action: t
    for t in [
        # An escalated issue is accepted by the tier above, which puts it on its own problem list.
        Transition(Action.ACCEPT, frozenset({Status.SUBMITTED, Status.ESCALATED}), Status.ACCEPTED, Actor.OWNER),
        Transition(Action.REJECT, frozenset({Status.SUBMITTED}), Status.REJECTED, Actor.OWNER),
        Transition(Action.WITHDRAW, frozenset({Status.SUBMITTED}), Status.WITHDRAWN, Actor.REPORTER),
        Transition(Action.DISPATCH, frozenset({Status.ACCEPTED}), Status.DISPATCHED, Actor.OWNER),
        Transition(Action.RESPOND, frozenset({Status.DISPATCHED}), Status.RESPONDED, Actor.HANDLER),
        Transition(Action.RESOLVE, frozenset({Status.RESPONDED}), Status.RESOLVED, Actor.HANDLER),
        Transition(Action.CLOSE, frozenset({Status.RESOLVED}), Status.CLOSED, Actor.OWNER),
        Transition(Action.RETURN, frozenset({Status.RESOLVED}), Status.DISPATCHED, Actor.OWNER),
        Transition(Action.RATE, frozenset({Status.CLOSED}), None, Actor.REPORTER),
        # Taken by the system when the resident rates 不满意: the same handler must come back.
        Transition(Action.REOPEN, frozenset({Status.CLOSED}), Status.DISPATCHED, Actor.SYSTEM),
        # 吹哨: an owner that cannot solve it whistles to the tier above (community → street → district).
        Transition(Action.ESCALATE, frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.RESPONDED}), Status.ESCALATED,
                   Actor.OWNER),
        # The timers: nobody reported for duty (or the tier above did not take it) in time.
        Transition(Action.AUTO_ESCALATE, frozenset({Status.DISPATCHED, Status.ESCALATED}), Status.ESCALATED,
                   Actor.SYSTEM),
        # The tier above judges the whistle unjustified, or solvable below: back onto the lower list.
        Transition(Action.SEND_BACK, frozenset({Status.ESCALATED}), Status.ACCEPTED, Actor.OWNER),
        Transition(Action.ASSIST_RESPOND, frozenset({Status.DISPATCHED, Status.RESPONDED}), None, Actor.ASSISTANT),
        Transition(Action.ASSIST_REPORT, frozenset({Status.DISPATCHED, Status.RESPONDED}), None, Actor.ASSISTANT),
        # The owner lets an assisting department go that cannot help or does not answer: the lead stops waiting.
        Transition(Action.ASSIST_RELEASE, frozenset({Status.DISPATCHED, Status.RESPONDED}), None, Actor.OWNER),
        Transition(Action.OVERDUE, OPEN_STATUSES, None, Actor.SYSTEM),
        # Recorded by dispatch.supervision, which decides who may supervise.
        Transition(Action.SUPERVISE, OPEN_STATUSES, None, Actor.SYSTEM),
        # issues.retention decides which issues and when; any state, for a resident closing their account.
        Transition(Action.ERASE_PERSONAL_DATA, frozenset(Status), None, Actor.SYSTEM),
        Transition(Action.SUPPORT, frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.RESPONDED,
                                              Status.ESCALATED}), None, Actor.ANYONE),
        # 核实: before taking a whistle the owning tier may send the grid officer to see whether it is real.
        Transition(Action.VERIFY_ASK, frozenset({Status.SUBMITTED, Status.ESCALATED}), None, Actor.OWNER),
        Transition(Action.VERIFY_REPORT, frozenset({Status.SUBMITTED, Status.ESCALATED}), None, Actor.CHECKER),
        # 核查: before crossing a resolved issue off, the owner may send the grid officer to see it fixed.
        Transition(Action.INSPECT_ASK, frozenset({Status.RESOLVED}), None, Actor.OWNER),
        Transition(Action.INSPECT_PASS, frozenset({Status.RESOLVED}), None, Actor.CHECKER),
        Transition(Action.INSPECT_FAIL, frozenset({Status.RESOLVED}), Status.DISPATCHED, Actor.CHECKER),
        # Recorded by the services when the issue moves on under a pending check (accepted, rejected, returned).
        Transition(Action.CHECK_CANCEL, OPEN_STATUSES | FINAL_STATUSES, None, Actor.SYSTEM),
        # 当场处置: the officer who found a problem on patrol fixed it there; it waits for the owner's close.
        Transition(Action.FIX_ON_SPOT, frozenset({Status.SUBMITTED}), Status.RESOLVED, Actor.FINDER),
    ]
}


class TransitionNotAllowed(Exception):
    """The action cannot be taken in the issue's current state; the message says why."""


def transition_for(action: str, status: str) -> Transition:
    """The transition of ``action`` from ``status``; TransitionNotAllowed if there is none."""
    try:
        transition = TRANSITIONS[Action(action)]
    except (KeyError, ValueError):
        raise TransitionNotAllowed(_("Unknown action: %(action)s.") % {"action": action}) from None
    if status not in transition.sources:
        raise TransitionNotAllowed(
            _("An issue that is “%(status)s” cannot be given “%(action)s”.")
            % {"status": Status(status).label, "action": transition.action.label}
        )
    return transition


def actions_from(status: str) -> list[Transition]:
    """Every transition that may start from this state (before asking who the user is)."""
    return [t for t in TRANSITIONS.values() if status in t.sources]
