from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from issues import signals as issue_signals

        from . import receivers

        # issues tells the rest of the system about every change, in its transaction; notifications
        # listens (issues never imports notifications).
        issue_signals.issue_submitted.connect(receivers.issue_submitted_notify, dispatch_uid="notifications.submitted")
        issue_signals.issue_changed.connect(receivers.issue_changed_notify, dispatch_uid="notifications.changed")
