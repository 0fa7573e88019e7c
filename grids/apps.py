from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and areas")

    def ready(self):
        from . import locate, signals

        signals.boundaries_changed.connect(locate.index_expire, dispatch_uid="grids.locate.index_expire")
