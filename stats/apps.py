from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Dashboard figures")

    def ready(self):
        from issues import signals as issue_signals

        from . import aggregates

        # The facts commit or roll back with the event they count (README, "Dashboard figures").
        issue_signals.event_recorded.connect(aggregates.event_recorded_count, dispatch_uid="stats.facts")
