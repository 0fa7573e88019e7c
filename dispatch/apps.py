from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Dispatch, supervision and accountability")

    def ready(self):
        from grids.demo.seed import DEMO_EXTENSIONS
        from issues import deadlines as issue_deadlines
        from issues import routing as issue_routing

        from . import deadlines, routing
        from .demo import demo_routing_rules_seed

        # issues asks for every deadline and every new issue's route through its hooks; dispatch
        # answers with its rules.
        issue_deadlines.register(deadlines)
        issue_routing.register(routing)
        if demo_routing_rules_seed not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_routing_rules_seed)

        from django.db.models.signals import post_delete, post_save

        from . import rulebook
        from .models import DeadlineRule, RoutingRule

        # Routing and deadlines read the rules from the process's rulebook; a saved rule renews it.
        for model in (RoutingRule, DeadlineRule):
            for signal in (post_save, post_delete):
                signal.connect(rulebook.rule_saved, sender=model, dispatch_uid=f"dispatch.rulebook.{model.__name__}")

        from issues import signals as issue_signals

        from . import supervision

        # The supervision list keeps its items in step with the issue inside the event's transaction.
        issue_signals.event_recorded.connect(supervision.event_recorded_supervise, dispatch_uid="dispatch.supervision")

        from . import accountability

        # The accountability list's candidates commit or roll back with the event that is their fact.
        issue_signals.event_recorded.connect(accountability.record_from_event, dispatch_uid="dispatch.accountability")
