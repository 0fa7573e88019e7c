"""Dispatch's tables, one module per concern: the rules (routing, deadlines, calendar), the timers'
record of what they did, the supervision list and the accountability list."""
from .accountability import AccountabilityRecord, Outcome, RecordKind, RecordState
from .rules import CalendarDay, DeadlineRule, RoutingRule
from .supervision import (
    DispatchMeeting,
    Instruction,
    MeetingDecision,
    ProgressReport,
    SupervisionItem,
    SupervisionSource,
    SupervisionState,
)
from .timers import AlertKind, DeadlineAlert

__all__ = [
    "AccountabilityRecord", "AlertKind", "CalendarDay", "DeadlineAlert", "DeadlineRule", "DispatchMeeting",
    "Instruction", "MeetingDecision", "Outcome", "ProgressReport", "RecordKind", "RecordState", "RoutingRule",
    "SupervisionItem", "SupervisionSource", "SupervisionState",
]
