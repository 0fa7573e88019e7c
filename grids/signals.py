from django.dispatch import Signal

# Sent after a transaction that changed grid boundaries has committed, in the process that made
# the change. Other processes learn of it from BoundaryRevision (see grids.locate).
boundaries_changed = Signal()
