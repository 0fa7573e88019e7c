"""Who changed what in the admin: the change history of the tables people edit by hand (areas and
their boundaries, departments, accounts and roles, categories, routing and deadline rules, calendar
days), kept by django-simple-history.

- ``HistoricalRecords``: what the models declare (``history = HistoricalRecords(...)``). A save that
  touches only untracked fields (a sign-in's ``last_login``, a password rehash) leaves no record.
- ``jianhua.admin.HistoryAdmin``: the admin's "History" page of a change page – who, when, and each
  changed field as before → after, with choices by their label and a boundary summarised.
- ``baselines_create``: a first record for rows that have none (created by bulk inserts, data
  migrations, or before the history began), so that their first change already shows before → after.
  It runs after every ``migrate`` and at the end of ``seed_demo``.

Who made a change comes from the request (``HistoryRequestMiddleware``: pages, admin and API alike);
changes made by tasks and commands have no user.
"""
from django.db import connections
from django.utils.translation import gettext as _
from simple_history import models as simple_history_models


class HistoricalRecords(simple_history_models.HistoricalRecords):
    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        # Django saves only last_login on every sign-in and only password on a rehash: not a change
        # anybody made, and not worth a row each.
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields or ()):
            return
        super().post_save(instance, created, using=using, **kwargs)


def tracked_models() -> list:
    """Every model with a change history (historical models themselves excluded)."""
    return [model for model in simple_history_models.registered_models.values()
            if hasattr(model._meta, "simple_history_manager_attribute")]


def baselines_create(models=None, *, using="default", batch_size=500) -> int:
    """Record every row of ``models`` (default: all tracked) that has no history yet as it is now;
    answers how many records were made. Rows that have a history are left alone, so it may run any
    number of times."""
    made = 0
    tables = set(connections[using].introspection.table_names())
    for model in models if models is not None else tracked_models():
        manager = getattr(model, model._meta.simple_history_manager_attribute)
        history_model = manager.model
        if model._meta.db_table not in tables or history_model._meta.db_table not in tables:
            continue  # migrated only part of the way
        pk = model._meta.pk.attname
        missing = (model._default_manager.using(using)
                   .exclude(**{f"{pk}__in": history_model.objects.using(using).values(pk)}).order_by(pk))
        batch = []
        for row in missing.iterator(chunk_size=batch_size):
            batch.append(row)
            if len(batch) == batch_size:
                made += _record(manager, batch)
                batch = []
        if batch:
            made += _record(manager, batch)
    return made


def _record(manager, rows) -> int:
    # None when SIMPLE_HISTORY_ENABLED is off.
    return len(manager.bulk_history_create(rows, batch_size=len(rows),
                                           default_change_reason=_("As it was when its history began")) or ())


def baselines_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: baselines for the rows of the migrated app (data migrations insert without
    history)."""
    baselines_create([model for model in tracked_models() if model._meta.app_label == sender.label], using=using)


def demo_history_baselines(options, step) -> list[str]:
    """seed_demo's extension: the demo's bulk-inserted areas and accounts get their first record."""
    made = baselines_create()
    if made:
        step(f"{made} history baselines")
    return []
