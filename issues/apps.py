from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Issues")

    def ready(self):
        from grids.demo.seed import DEMO_EXTENSIONS

        from .demo import demo_intake_client_seed

        if demo_intake_client_seed not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_intake_client_seed)
