from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Dispatch, supervision and accountability")

    def ready(self):
        from issues import deadlines as issue_deadlines

        from . import deadlines

        # issues asks for every deadline through its hook; dispatch answers with its rules.
        issue_deadlines.register(deadlines)
