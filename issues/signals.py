"""What issues tells the rest of the system. Every signal is sent inside the transaction of the change
it reports, so its receivers' writes commit or roll back with it: a notification's outbox row exists
exactly when the change it tells of does, even if the process dies right after the commit. Anything
slow or external (the broker, a gateway) belongs in ``transaction.on_commit`` of a receiver."""
from django.dispatch import Signal

# A whistle was filed, once it has its number (kwargs: issue_id, issue).
issue_submitted = Signal()
# A change of state, after its event is recorded (kwargs: issue_id, action, event_id, issue, event; the
# issue as it stands after the change).
issue_changed = Signal()
# Every event right after its row is written, state change or not (kwargs: issue, event): the dashboard
# counts and the accountability and supervision lists.
event_recorded = Signal()
