from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and areas")

    def ready(self):
        from . import locate, signals, tiles

        signals.boundaries_changed.connect(locate.index_expire, dispatch_uid="grids.locate.index_expire")
        signals.boundaries_changed.connect(tiles.source_expire, dispatch_uid="grids.tiles.source_expire")

        from django.db.models.signals import post_migrate

        from jianhua import history, lookups  # noqa: F401 (lookups: integer "in" ignores out-of-range numbers)

        from .demo.seed import DEMO_EXTENSIONS

        # Rows inserted without a history record (data migrations, the demo's bulk inserts) get their first
        # one, so that the first change made in the admin already shows before → after.
        post_migrate.connect(history.baselines_after_migrate, dispatch_uid="jianhua.history.baselines")
        if history.demo_history_baselines not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(history.demo_history_baselines)
