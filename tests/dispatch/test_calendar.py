"""Working days on the mainland China calendar: holidays, adjusted working weekends, the district's
own corrections, and years the library does not know yet."""
import logging
from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest

from dispatch.calendar import WorkingCalendar, add_working_days, is_working_day
from dispatch.models import CalendarDay

from .conftest import local


@pytest.mark.parametrize("day, working", [
    ((2026, 10, 1), False),   # National Day, a Thursday
    ((2026, 10, 7), False),   # last day of the Golden Week, a Wednesday
    ((2026, 10, 10), True),   # adjusted working Saturday (调休上班) after it
    ((2026, 9, 20), True),    # adjusted working Sunday before it
    ((2026, 2, 14), True),    # Spring Festival's adjusted working Saturday before the holiday
    ((2026, 2, 28), True),    # and the one after
    ((2026, 2, 17), False),   # 春节, a Tuesday
    ((2026, 3, 14), False),   # a plain Saturday
    ((2026, 3, 16), True),    # a plain Monday
])
def test_the_library_knows_2026(db, day, working):
    assert is_working_day(date(*day)) is working


def test_national_day_golden_week_is_skipped_and_its_adjusted_saturday_counts(db):
    # Wed 30 Sep + 3 working days: 1–7 Oct are holidays, Thu 8 and Fri 9 count, and so does Sat 10 Oct.
    assert add_working_days(local(2026, 9, 30, 9, 30), 3) == local(2026, 10, 10, 9, 30)
    assert add_working_days(local(2026, 9, 30, 9, 30), 4) == local(2026, 10, 12, 9, 30)  # Sun 11 Oct is off


def test_spring_festival_and_its_adjusted_working_weekend_days(db):
    # chinesecalendar 1.11.0: 15–23 Feb 2026 are 春节; Saturdays 14 and 28 Feb are worked instead.
    assert add_working_days(local(2026, 2, 13, 15), 1) == local(2026, 2, 14, 15)  # Fri → the adjusted Saturday
    assert add_working_days(local(2026, 2, 13, 15), 2) == local(2026, 2, 24, 15)  # then past the whole holiday
    assert add_working_days(local(2026, 2, 27, 15), 1) == local(2026, 2, 28, 15)


def test_a_plain_weekend_is_skipped(db):
    assert add_working_days(local(2026, 3, 13, 16), 1) == local(2026, 3, 16, 16)  # Fri → Mon
    assert add_working_days(local(2026, 3, 13, 16), 5) == local(2026, 3, 20, 16)


def test_a_start_on_a_day_off_counts_from_the_next_working_day_at_the_same_time(db):
    # Saturday 22:00 + 1 working day = Monday 22:00: the whole of Monday to act, as from Friday 22:00.
    assert add_working_days(local(2026, 3, 14, 22), 1) == local(2026, 3, 16, 22)
    assert add_working_days(local(2026, 10, 3, 8), 1) == local(2026, 10, 8, 8)  # from inside the Golden Week


def test_zero_days_is_the_start_and_utc_input_keeps_the_local_time_of_day(db):
    assert add_working_days(local(2026, 3, 14, 22), 0) == local(2026, 3, 14, 22)
    # 17:00 UTC on Friday is 01:00 on Saturday in Qiqihar: one working day later is Monday 01:00.
    assert add_working_days(datetime(2026, 3, 13, 17, tzinfo=dt_timezone.utc), 1) == local(2026, 3, 16, 1)


def test_an_override_row_turns_a_working_day_into_a_holiday(db):
    CalendarDay.objects.create(date=local(2026, 3, 16).date(), is_working_day=False, name="区级停工日")
    assert is_working_day(local(2026, 3, 16).date()) is False
    assert add_working_days(local(2026, 3, 13, 16), 1) == local(2026, 3, 17, 16)


def test_an_override_row_can_make_a_library_holiday_a_working_day(db):
    CalendarDay.objects.create(date=local(2026, 10, 8).date(), is_working_day=False, name="延长假期")
    CalendarDay.objects.create(date=local(2026, 10, 3).date(), is_working_day=True, name="值班")
    assert add_working_days(local(2026, 9, 30, 9), 1) == local(2026, 10, 3, 9)
    assert add_working_days(local(2026, 9, 30, 9), 2) == local(2026, 10, 9, 9)  # 8 Oct now off


def test_a_year_the_library_does_not_know_falls_back_to_monday_to_friday_with_a_warning(db, caplog):
    with caplog.at_level(logging.WARNING, logger="dispatch.calendar"):
        due = add_working_days(local(2030, 1, 4, 10), 2)  # Fri
    assert due == local(2030, 1, 8, 10)  # Mon, Tue
    warnings = [r for r in caplog.records if r.name == "dispatch.calendar" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2030" in warnings[0].getMessage()


def test_override_rows_come_first_in_an_unknown_year_too(db):
    CalendarDay.objects.create(date=local(2030, 1, 7).date(), is_working_day=False, name="假日")
    assert add_working_days(local(2030, 1, 4, 10), 1) == local(2030, 1, 8, 10)


def test_override_rows_are_read_once_per_computation(db, django_assert_num_queries):
    CalendarDay.objects.create(date=local(2026, 3, 16).date(), is_working_day=False)
    with django_assert_num_queries(1):
        add_working_days(local(2026, 3, 2, 9), 30)
    with django_assert_num_queries(2):  # one per calendar year touched
        add_working_days(local(2026, 12, 20, 9), 15)


@pytest.mark.parametrize("start, due, share, expected", [
    # A plain week: four working days from Monday, three quarters is Thursday, as by the clock.
    (local(2026, 11, 16, 10, 0), local(2026, 11, 20, 10, 0), 0.75, local(2026, 11, 19, 10, 0)),
    # Over a weekend: two working days from Friday; 1½ is Monday 22:00 (the clock says Monday 10:00).
    (local(2026, 11, 20, 10, 0), local(2026, 11, 24, 10, 0), 0.75, local(2026, 11, 23, 22, 0)),
    # National Day: five working days from Sep 29; 3¾ is Sat Oct 10 04:00 (the clock: Oct 9 04:00).
    (local(2026, 9, 29, 10, 0), local(2026, 10, 12, 10, 0), 0.75, local(2026, 10, 10, 4, 0)),
    # No working day in between (a deadline moved by hand): the clock's share.
    (local(2026, 10, 3, 10, 0), local(2026, 10, 3, 18, 0), 0.75, local(2026, 10, 3, 16, 0)),
])
def test_a_share_of_the_working_time(db, start, due, share, expected):
    assert WorkingCalendar().share_of_working_time(start, due, share) == expected
