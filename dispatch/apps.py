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
