"""Calendar arithmetic on `datetime.date`, the one home of the date helpers that identities,
fixture packs and their tests share."""

from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    """Same month and day `years` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, or the month's last day when it is shorter."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def age_on(birth: date, day: date) -> int:
    """Completed years of a person born on `birth`, on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
