from django.dispatch import Signal

# Sent after the transaction that filed an issue has committed (kwargs: issue_id). The dispatch app
# listens to route it; issues itself never imports dispatch.
issue_submitted = Signal()
# Sent after every committed change of state (kwargs: issue_id, action, event_id).
issue_changed = Signal()
