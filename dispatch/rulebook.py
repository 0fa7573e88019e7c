"""The active routing and deadline rules as this process last read them (a ``jianhua.snapshots``
``ProcessSnapshot``).

Every filing asks for a route and a response deadline, every acceptance and escalation for a
deadline; the rules change a few times a year. So each process keeps the active rules in memory
(``rulebook()``) and reads them again only when they changed:

- at most every ``DISPATCH_RULES_CHECK_SECONDS`` (1 s; 0 in the tests) it reads the rules' revision –
  per table the number of rows, of active rows, the highest id and the latest ``updated_at``, one
  query – and compares it with the revision it read the rules at. An edit in the admin, from any
  process, reaches every process within that time;
- the process that saved or deleted a rule checks at once, when the change commits.

An UPDATE that bypasses ``save()`` and leaves the number of active rules alone (a raw SQL edit of a
deadline, say) leaves the revision as it was: restarting the processes makes it count.
"""
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from jianhua.snapshots import ProcessSnapshot

from .models import DeadlineRule, RoutingRule


@dataclass(frozen=True)
class Rulebook:
    routing: tuple[RoutingRule, ...]
    deadlines: tuple[DeadlineRule, ...]


def _revision() -> tuple:
    parts = []
    for model in (RoutingRule, DeadlineRule):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table}), (SELECT COUNT(*) FROM {table} WHERE active), "
                     f"(SELECT MAX(id) FROM {table}), (SELECT MAX(updated_at) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        return tuple(cursor.fetchone())


def _read() -> Rulebook:
    return Rulebook(routing=tuple(RoutingRule.objects.filter(active=True)),
                    deadlines=tuple(DeadlineRule.objects.filter(active=True)))


_process_rulebook = ProcessSnapshot(load=_read, revision=_revision,
                                    check_seconds=lambda: settings.DISPATCH_RULES_CHECK_SECONDS)


def rulebook() -> Rulebook:
    """The active rules (no query while they are fresh)."""
    return _process_rulebook.get()


def rules_expire(**_kwargs) -> None:
    """Make this process check the rules' revision on its next question."""
    _process_rulebook.expire()


def rule_saved(**_kwargs) -> None:
    """post_save / post_delete of a rule: this process checks the revision (which the change moved) once
    the change commits."""
    transaction.on_commit(rules_expire)
