"""Working days on the mainland China calendar: statutory holidays (法定节假日) and adjusted working
weekends (调休上班) included.

Where a day's status comes from, first match wins:
1. ``CalendarDay`` rows (admin): the district's corrections, and years the library does not know yet;
2. the ``chinesecalendar`` library (the State Council's yearly notice, as data; a dict lookup);
3. Monday to Friday, with a logged warning: the library has no data for that year yet (it publishes a
   new release after the State Council's notice each November – bump the pin, or add rows).

A deadline computation reads the override rows once per calendar year it touches (one query in
practice), so many days cost no more than one, and a row saved in the admin counts at once in every
process.
"""
import logging
from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone

logger = logging.getLogger(__name__)

# No run of days off in the mainland calendar comes close to this; it stops a runaway loop if an
# override table marked a whole year as holidays.
MAX_DAYS_SEARCHED = 3 * 366


class WorkingCalendar:
    """One computation's view of the calendar: override rows loaded per year, warnings once per year."""

    def __init__(self):
        self._overrides: dict[int, dict[date, bool]] = {}
        self._warned: set[int] = set()

    def _override(self, day: date) -> bool | None:
        if day.year not in self._overrides:
            from .models import CalendarDay

            rows = CalendarDay.objects.filter(date__year=day.year).values_list("date", "is_working_day")
            self._overrides[day.year] = dict(rows)
        return self._overrides[day.year].get(day)

    def is_working_day(self, day: date) -> bool:
        override = self._override(day)
        if override is not None:
            return override
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning(
                    "chinesecalendar has no holiday data for %s: counting Monday to Friday as working days. "
                    "Upgrade chinesecalendar or add calendar days in the admin.", day.year)
            return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        if days < 0:
            raise ValueError("days must not be negative")
        local = timezone.localtime(start) if timezone.is_aware(start) else timezone.make_aware(start)
        day, found = local.date(), 0
        for _ in range(MAX_DAYS_SEARCHED):
            if found == days:
                return local.replace(year=day.year, month=day.month, day=day.day)
            day += timedelta(days=1)
            found += self.is_working_day(day)
        raise ValueError(f"fewer than {days} working days within {MAX_DAYS_SEARCHED} days of {start}")


    def share_of_working_time(self, start: datetime, due: datetime, share: float) -> datetime:
        """The moment ``share`` of the working days from ``start`` to ``due`` have passed, where the i-th
        working day is the 24 hours up to the same time of day on it (as ``add_working_days`` counts).
        Across a week-long holiday that is later than the same share of the wall clock: 75 % of five
        working days begun before National Day is the fourth working day's evening, not mid-holiday.
        Wall-clock share when no working day lies between the two."""
        start_local, due_local = timezone.localtime(start), timezone.localtime(due)
        days, day = 0, start_local.date()
        while day < due_local.date() and days <= MAX_DAYS_SEARCHED:
            day += timedelta(days=1)
            days += self.is_working_day(day)
        if days == 0:
            return start + (due - start) * share
        target = days * share
        whole = int(target)
        if whole == target:
            moment = self.add_working_days(start, whole)
        else:  # within the (whole + 1)-th working day: the 24 hours that end on it
            moment = self.add_working_days(start, whole + 1) - timedelta(days=1) * (whole + 1 - target)
        return min(max(moment, start), due)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in the district (override rows, then the library, then Mon–Fri)."""
    return WorkingCalendar().is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local time of day (Asia/Shanghai) on the ``days``-th working day after ``start``'s date.

    Only the days after ``start`` are counted, whether or not ``start`` itself falls on a working
    day: a whistle accepted on Saturday at 22:00 with one working day is due on Monday at 22:00 (the
    whole of Monday to act), as is one accepted on Friday at 22:00. ``days=0`` answers ``start``.
    """
    return WorkingCalendar().add_working_days(start, days)
