from django.dispatch import Signal

# Sent after the transaction that filed an issue has committed (kwargs: issue_id, and issue: the filed
# issue as committed, so that a receiver need not read it back).
issue_submitted = Signal()
# Sent after every committed change of state (kwargs: issue_id, action, event_id).
issue_changed = Signal()
# Sent inside the transaction that records an event, right after the row is written (kwargs: issue,
# event). For bookkeeping that must commit or roll back with the event itself – the accountability
# and supervision lists – never for anything slow or external (use issue_changed for that).
event_recorded = Signal()
