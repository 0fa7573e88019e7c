"""Keeping the facts (``stats.models``) right as issues change.

Two writers, one rule set:

- ``event_recorded_count`` listens to ``issues.signals.event_recorded`` and, **inside the transaction
  that records the event**, upserts the event's contributions (``INSERT … ON CONFLICT DO UPDATE SET
  c = c + excluded.c``, SQLite ≥ 3.24 and PostgreSQL) into ``DailyFact`` and ``MonthlyFact``. A rolled
  back action rolls its counts back with it.
- ``facts_rebuild(start=None, end=None)`` recomputes the facts of a range of days from the event log
  with set-based SQL (one window pass over the events, GROUP BY, INSERT … SELECT), for bulk loads, repair
  and after a change of the rules.

``event_contributions`` (Python) and ``_select_sql`` (SQL) are twins: change both or neither. The test
``tests/stats/test_facts.py`` proves the incremental facts equal the rebuilt ones.

The state an event is counted under is carried along the issue's timeline (ordered by ``at``, ``id``):
the owning tier and resolution deadline are those set by the latest submit, accept, escalate,
auto-escalate or send-back; the department by the latest dispatch (cleared by submit, escalate,
auto-escalate, send-back); the response clock started at the latest dispatch, return or reopen.
"""
import datetime
import functools
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from issues.models import IssueEvent

from .models import (
    MEASURES,
    RESOLUTION_BUCKET_HOURS,
    RESOLUTION_BUCKETS,
    RESPONSE_BUCKET_MINUTES,
    RESPONSE_BUCKETS,
    ROLLUPS,
    DailyFact,
)

TIER_SETTERS = ("submit", "accept", "escalate", "auto_escalate", "send_back")
DEPARTMENT_SETTERS = ("submit", "dispatch", "escalate", "auto_escalate", "send_back")
CLOCK_STARTERS = ("dispatch", "return", "reopen")
COUNTED_ACTIONS = ("submit", "accept", "dispatch", "return", "reopen", "respond", "resolve", "close", "rate",
                   "escalate", "auto_escalate", "send_back", "overdue")


@dataclass
class Contribution:
    """What one event adds to the facts of one key (day, tier, department; the issue gives the rest)."""

    day: datetime.date
    tier: str
    department_code: str
    counts: dict = field(default_factory=dict)


def _tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(moment) -> datetime.date:
    return timezone.localtime(moment, _tz()).date()


def response_bucket(seconds: int) -> str:
    for index, edge in enumerate(RESPONSE_BUCKET_MINUTES):
        if seconds < edge * 60:
            return RESPONSE_BUCKETS[index]
    return RESPONSE_BUCKETS[-1]


def resolution_bucket(seconds: int) -> str:
    for index, edge in enumerate(RESOLUTION_BUCKET_HOURS):
        if seconds < edge * 3600:
            return RESOLUTION_BUCKETS[index]
    return RESOLUTION_BUCKETS[-1]


def _seconds(later, earlier) -> int:
    return max(round((later - earlier).total_seconds()), 0)


def event_contributions(history: list[dict]) -> list[Contribution]:
    """What the last event of ``history`` (an issue's counted events in order, each with ``action``,
    ``at``, ``data``) adds to the facts: its own counts on its day, and for a rating or a reopening the
    correction of the close it concerns (no longer unrated; no longer solved) on the close's day."""
    tier = department = ""
    due = clock_start = filed_at = None
    last_close = None  # (day, tier, department) of the latest close
    contributions = []
    for position, event in enumerate(history):
        action, at, data = event["action"], event["at"], event["data"] or {}
        if action in TIER_SETTERS:
            tier = {"submit": data.get("owner_tier"), "accept": data.get("tier")}.get(action, data.get("to_tier")) or ""
            due = data.get("resolution_due") if action in ("accept", "send_back") else None
        if action in DEPARTMENT_SETTERS:
            department = (data.get("department") or "") if action == "dispatch" else ""
        if action in CLOCK_STARTERS:
            clock_start = at
        if filed_at is None:
            filed_at = at
        if position < len(history) - 1:
            if action == "close":
                last_close = (local_day(at), tier, department)
            continue
        day = local_day(at)
        counts = {}
        if action == "submit":
            counts["received"] = 1
        elif action == "accept":
            counts["accepted"] = 1
            if not any(e["action"] == "accept" for e in history[:-1]):
                counts["accepted_first"] = 1
        elif action in CLOCK_STARTERS:
            counts["dispatched"] = 1
            if action == "reopen":
                counts["reopened"] = 1
                if last_close:
                    contributions.append(Contribution(*last_close, {"closed_solved": -1}))
        elif action == "respond":
            seconds = _seconds(at, clock_start or at)
            counts.update(responded=1, responded_on_time=int(bool(data.get("on_time"))), response_seconds=seconds)
            counts[response_bucket(seconds)] = 1
        elif action == "resolve":
            counts["resolved"] = 1
        elif action == "close":
            seconds = _seconds(at, filed_at)
            on_time = due is None or at <= parse_datetime(due)
            counts.update(closed=1, closed_solved=1, closed_on_time=int(on_time), unrated=1,
                          resolution_seconds=seconds)
            counts[resolution_bucket(seconds)] = 1
        elif action == "rate":
            rating = data.get("rating")
            counts["rated"] = 1
            if rating in ("satisfied", "basically_satisfied", "dissatisfied"):
                counts[rating] = 1
            if last_close:
                contributions.append(Contribution(*last_close, {"unrated": -1}))
        elif action in ("escalate", "auto_escalate"):
            counts["escalated"] = 1
            contributions.append(Contribution(day, data.get("from_tier") or "", "", counts))
            counts = {}
        elif action == "overdue":
            counts["overdue_marks"] = 1
        if counts:
            contributions.append(Contribution(day, tier, department, counts))
    return contributions


# The incremental writer ---------------------------------------------------------------------------

def event_recorded_count(sender, issue, event, **kwargs):
    """The receiver of ``issues.signals.event_recorded``: count the event in the same transaction."""
    if event.action not in COUNTED_ACTIONS:
        return
    if event.action == "submit":
        # A whistle's first event: its history is the event itself, no need to read it back.
        history = [{"action": event.action, "at": event.at, "data": event.data}]
        top_category = issue.category.parent_id or issue.category_id
    else:
        history = list(
            IssueEvent.objects.filter(issue_id=issue.pk, action__in=COUNTED_ACTIONS).order_by("at", "id")
            .values("action", "at", "data", "issue__category__parent_id")
        )
        if not history:
            return
        top_category = history[-1]["issue__category__parent_id"] or issue.category_id
        # The event just written may sort before a later one only if clocks went backwards; count it as the last.
        history = [e for e in history if e["at"] <= event.at]
    contributions = event_contributions(history)
    codes = {c.department_code for c in contributions if c.department_code}
    departments = dict(_department_ids(codes)) if codes else {}
    place = {"street": issue.street_id, "community": issue.community_id, "grid": issue.grid_id}
    # Every table's rows, keyed by the table's unique key; contributions that meet on a key are summed
    # (a rating and the correction of its close on the same day; two days of one month).
    rows = {model: {} for model in KEY_COLUMNS}
    for contribution in contributions:
        row = {"tier": contribution.tier, "department": departments.get(contribution.department_code, 0), **place,
               "day": contribution.day, "month": contribution.day.replace(day=1), "top_category": top_category,
               "category": issue.category_id, "channel": issue.channel}
        for model, key_columns in KEY_COLUMNS.items():
            counts = rows[model].setdefault(tuple(row[c] for c in key_columns), {})
            for measure, value in contribution.counts.items():
                counts[measure] = counts.get(measure, 0) + value
    _upsert_all(rows)


def _department_ids(codes):
    from grids.models import Department

    return Department.objects.filter(code__in=codes).values_list("code", "id")


def _unique_key(model) -> tuple:
    """The columns of the model's one unique constraint: the upsert's conflict target."""
    (constraint,) = model._meta.constraints
    return tuple(constraint.fields)


UNIQUE_KEYS = {model: _unique_key(model) for model in (DailyFact, *(rollup[0] for rollup in ROLLUPS))}
# What a row of each table is written with: its unique key and the columns that follow from it (a grid's
# community and street, a category's top category).
KEY_COLUMNS = {
    DailyFact: ("day", "tier", "department", "street", "community", "grid", "top_category", "category", "channel"),
    **{model: (time_column, *keys) for model, time_column, keys in ROLLUPS},
}


def _upsert_all(rows: dict) -> None:
    """Add ``rows`` ({model: {key values: {measure: n}}}) to the facts: one ``INSERT … ON CONFLICT DO
    UPDATE SET c = c + excluded.c`` per table, sent as one statement on PostgreSQL (data-modifying
    CTEs; each table's keys are distinct, so no row is touched twice) and one by one on SQLite."""
    statements = []
    for model, by_key in rows.items():
        if not by_key:
            continue
        measures = tuple(sorted({m for counts in by_key.values() for m in counts}))
        params = []
        for key, counts in by_key.items():
            params += [*key, *(counts.get(m, 0) for m in measures)]
        statements.append((_upsert_sql(model, len(by_key), measures), params))
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *first, (last_sql, last_params) = statements
            sql = "".join(f"{'WITH' if n == 0 else ','} f{n} AS ({s}) " for n, (s, _) in enumerate(first)) + last_sql
            cursor.execute(sql, [p for _, ps in first for p in ps] + last_params)
        else:
            for sql, params in statements:
                cursor.execute(sql, params)


@functools.lru_cache(maxsize=512)
def _upsert_sql(model, row_count: int, measures: tuple) -> str:
    """The upsert of ``row_count`` rows of ``model`` counting ``measures``; the other counters of a new
    row are 0. Its parameters, row by row: the values of ``KEY_COLUMNS[model]``, then the measures'."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys = KEY_COLUMNS[model]
    zeros = [m for m in MEASURES if m not in measures]
    columns = ", ".join(quote(c) for c in (*keys, *measures, *zeros))
    row = "(" + ", ".join(["%s"] * (len(keys) + len(measures)) + ["0"] * len(zeros)) + ")"
    updates = ", ".join(f"{quote(m)} = {table}.{quote(m)} + excluded.{quote(m)}" for m in measures)
    return (f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * row_count)} "
            f"ON CONFLICT ({', '.join(quote(c) for c in UNIQUE_KEYS[model])}) DO UPDATE SET {updates}")


# The set-based rebuild ----------------------------------------------------------------------------

class _Dialect:
    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.zone = settings.TIME_ZONE

    def text(self, key):
        return f"(e.data ->> '{key}')" if self.postgres else f"json_extract(e.data, '$.{key}')"

    def true(self, key):
        if self.postgres:
            return f"COALESCE((e.data ->> '{key}') = 'true', false)"
        return f"COALESCE(json_extract(e.data, '$.{key}'), 0) = 1"

    def order_key(self):
        """A string that sorts as (at, id) does within an issue."""
        if self.postgres:
            return "to_char(e.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || lpad(e.id::text, 19, '0')"
        return "printf('%%-26s', e.at) || printf('%%019d', e.id)"

    def after_key(self, expression):
        """The value after the order key (39 characters on PostgreSQL, 45 on SQLite) and its separator."""
        return f"substr({expression}, {41 if self.postgres else 47})"

    def day(self, column):
        if self.postgres:
            return f"(({column}) AT TIME ZONE '{self.zone}')::date"
        offset = datetime.datetime.now(zoneinfo.ZoneInfo(self.zone)).utcoffset()
        return f"date({column}, '{int(offset.total_seconds() // 60):+d} minutes')"

    def seconds(self, later, earlier):
        if self.postgres:
            return f"GREATEST(ROUND(EXTRACT(EPOCH FROM ({later}) - ({earlier}))), 0)"
        return f"MAX(ROUND((julianday({later}) - julianday({earlier})) * 86400.0), 0)"

    def before_due(self, at, due):
        if self.postgres:
            return f"({at}) <= CAST({due} AS timestamptz)"
        return f"julianday({at}) <= julianday({due})"

    def month(self, column):
        return f"date_trunc('month', {column})::date" if self.postgres else f"date({column}, 'start of month')"


def _in(actions):
    return "(" + ", ".join(f"'{a}'" for a in actions) + ")"


def _select_sql(d: _Dialect, *, ranged: bool) -> str:
    """The facts of every counted event, grouped by key: the SQL twin of ``event_contributions``."""
    key = d.order_key()
    tier_value = (f"CASE e.action WHEN 'submit' THEN {d.text('owner_tier')} WHEN 'accept' THEN {d.text('tier')} "
                  f"ELSE {d.text('to_tier')} END")
    due_value = f"CASE WHEN e.action IN ('accept', 'send_back') THEN {d.text('resolution_due')} END"
    dept_value = f"CASE WHEN e.action = 'dispatch' THEN {d.text('department')} END"
    range_filter = ""
    if ranged:
        range_filter = ("AND e.issue_id IN (SELECT r.issue_id FROM issues_issueevent r "
                        "WHERE r.at >= %(start)s AND r.at < %(end)s)")
    sums = {}

    def add(name, condition, value="1"):
        sums[name] = f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    add("received", "x.action = 'submit'")
    add("accepted", "x.action = 'accept'")
    add("accepted_first", "x.action = 'accept' AND x.accept_number = 1")
    add("dispatched", f"x.action IN {_in(CLOCK_STARTERS)}")
    add("responded", "x.action = 'respond'")
    add("responded_on_time", "x.action = 'respond' AND x.on_time")
    add("resolved", "x.action = 'resolve'")
    add("closed", "x.action = 'close'")
    add("closed_solved", "x.action = 'close' AND NOT (COALESCE(x.next1, '') = 'rate' "
                         "AND COALESCE(x.next2, '') = 'reopen')")
    add("closed_on_time", f"x.action = 'close' AND (x.due = '' OR {d.before_due('x.at', 'x.due')})")
    add("unrated", "x.action = 'close' AND COALESCE(x.next1, '') <> 'rate'")
    add("rated", "x.action = 'rate'")
    for rating in ("satisfied", "basically_satisfied", "dissatisfied"):
        add(rating, f"x.action = 'rate' AND x.rating = '{rating}'")
    add("reopened", "x.action = 'reopen'")
    add("escalated", "x.action IN ('escalate', 'auto_escalate')")
    add("overdue_marks", "x.action = 'overdue'")
    respond_secs = d.seconds("x.at", "COALESCE(x.clock_start, x.at)")
    close_secs = d.seconds("x.at", "x.filed_at")
    add("response_seconds", "x.action = 'respond'", respond_secs)
    add("resolution_seconds", "x.action = 'close'", close_secs)
    for names, edges, unit, secs, action in (
            (RESPONSE_BUCKETS, RESPONSE_BUCKET_MINUTES, 60, respond_secs, "respond"),
            (RESOLUTION_BUCKETS, RESOLUTION_BUCKET_HOURS, 3600, close_secs, "close")):
        lower = 0
        for name, edge in zip(names, edges + (None,)):
            upper = f" AND {secs} < {edge * unit}" if edge else ""
            add(name, f"x.action = '{action}' AND {secs} >= {lower}{upper}")
            lower = edge * unit if edge else lower
    counters = ",\n           ".join(f"{sums[m]} AS {m}" for m in MEASURES)
    return f"""
    SELECT {d.day('x.at')} AS day,
           CASE WHEN x.action IN ('escalate', 'auto_escalate') THEN COALESCE(x.from_tier, '') ELSE x.tier END AS tier,
           i.street_id AS street, i.community_id AS community, i.grid_id AS grid,
           COALESCE(c.parent_id, c.id) AS top_category, i.category_id AS category, i.channel AS channel,
           COALESCE(dep.id, 0) AS department,
           {counters}
    FROM (
        SELECT w.issue_id, w.action, w.at, w.rating, w.on_time, w.from_tier, w.clock_start, w.filed_at,
               w.accept_number, w.next1, w.next2,
               COALESCE({d.after_key('w.tier_state')}, '') AS tier,
               COALESCE({d.after_key('w.due_state')}, '') AS due,
               CASE WHEN w.action IN ('escalate', 'auto_escalate') THEN NULL
                    ELSE NULLIF({d.after_key('w.dept_state')}, '') END AS department_code
        FROM (
            SELECT e.issue_id, e.action, e.at,
                   {d.text('rating')} AS rating, {d.true('on_time')} AS on_time, {d.text('from_tier')} AS from_tier,
                   MAX(CASE WHEN e.action IN {_in(TIER_SETTERS)}
                       THEN {key} || '|' || COALESCE({tier_value}, '') END) OVER w AS tier_state,
                   MAX(CASE WHEN e.action IN {_in(TIER_SETTERS)}
                       THEN {key} || '|' || COALESCE({due_value}, '') END) OVER w AS due_state,
                   MAX(CASE WHEN e.action IN {_in(DEPARTMENT_SETTERS)}
                       THEN {key} || '|' || COALESCE({dept_value}, '') END) OVER w AS dept_state,
                   MAX(CASE WHEN e.action IN {_in(CLOCK_STARTERS)} THEN e.at END) OVER w AS clock_start,
                   MIN(e.at) OVER w AS filed_at,
                   SUM(CASE WHEN e.action = 'accept' THEN 1 ELSE 0 END) OVER w AS accept_number,
                   LEAD(e.action, 1) OVER w AS next1,
                   LEAD(e.action, 2) OVER w AS next2
            FROM issues_issueevent e
            WHERE e.action IN {_in(COUNTED_ACTIONS)} {range_filter}
            WINDOW w AS (PARTITION BY e.issue_id ORDER BY e.at, e.id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ) w
    ) x
    JOIN issues_issue i ON i.id = x.issue_id
    JOIN issues_category c ON c.id = i.category_id
    LEFT JOIN grids_department dep ON dep.code = x.department_code
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    """


def _last_of_month(day: datetime.date) -> datetime.date:
    if day.month == 12:
        return day.replace(day=31)
    return day.replace(month=day.month + 1, day=1) - datetime.timedelta(days=1)


def facts_rebuild(start: datetime.date | None = None, end: datetime.date | None = None) -> dict:
    """Recompute the facts of the local days ``start`` … ``end`` (inclusive; None: from the first day,
    to the last) from the event log, in one transaction: delete them, then INSERT … SELECT. The months
    those days touch are rolled up again from the daily facts. Returns the number of rows written."""
    d = _Dialect()
    ranged = start is not None or end is not None
    start = start or datetime.date(1970, 1, 1)
    end = end or datetime.date(9999, 12, 30)
    tz = _tz()
    params = {
        "start": datetime.datetime.combine(start, datetime.time(), tz),
        "end": datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tz),
        "day_start": start, "day_end": end,
        # The months the days touch are rolled up whole.
        "month_start": start.replace(day=1),
        "month_end": _last_of_month(end),
    }
    daily = connection.ops.quote_name(DailyFact._meta.db_table)
    measures = ", ".join(MEASURES)
    keys = "day, tier, street, community, grid, top_category, category, channel, department"
    select = _select_sql(d, ranged=ranged)
    written = {}
    with transaction.atomic(), connection.cursor() as cursor:
        if d.postgres:
            cursor.execute("SET LOCAL work_mem = '256MB'")
        tables = [(DailyFact, "day")] + [(model, time_column) for model, time_column, _keys in ROLLUPS]
        for model, time_column in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            if not ranged:
                cursor.execute(f"DELETE FROM {table}")
            elif time_column == "day":
                cursor.execute(f"DELETE FROM {table} WHERE day >= %(day_start)s AND day <= %(day_end)s", params)
            else:
                cursor.execute(f"DELETE FROM {table} WHERE month >= %(month_start)s AND month <= %(month_end)s",
                               params)
        cursor.execute(f"INSERT INTO {daily} ({keys}, {measures}) SELECT * FROM ({select}) facts "
                       "WHERE facts.day >= %(day_start)s AND facts.day <= %(day_end)s", params)
        written["daily"] = cursor.rowcount
        sums = ", ".join(f"SUM({m})" for m in MEASURES)
        for model, time_column, rollup_keys in ROLLUPS:
            # Each roll-up is a GROUP BY of the daily facts: the days written, or the months they touch whole.
            table = connection.ops.quote_name(model._meta.db_table)
            moment = d.month("day") if time_column == "month" else "day"
            bounds = ("%(month_start)s", "%(month_end)s") if time_column == "month" else ("%(day_start)s",
                                                                                           "%(day_end)s")
            columns = ", ".join(rollup_keys)
            cursor.execute(
                f"INSERT INTO {table} ({time_column}, {columns}, {measures}) "
                f"SELECT {moment}, {columns}, {sums} FROM {daily} WHERE day >= {bounds[0]} AND day <= {bounds[1]} "
                f"GROUP BY {moment}, {columns}", params)
            written[model._meta.model_name] = cursor.rowcount
            if d.postgres:
                cursor.execute(f"ANALYZE {table}")
        if d.postgres:
            cursor.execute(f"ANALYZE {daily}")
    written["monthly"] = written.get("monthlyfact", 0)
    return written
