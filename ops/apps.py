from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running the product: readiness (/readyz) and backups (manage.py backup / restore). No models."""

    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        from . import sweeps

        sweeps.connect()
