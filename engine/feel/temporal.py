"""Dates, times and durations: parsing FEEL's literal forms, formatting, properties."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .values import CONTEXT, YearsMonths

_DATE = re.compile(r"^(-?\d{4,9})-(\d\d)-(\d\d)$")
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?)?(@[A-Za-z_][A-Za-z0-9_+\-/]*)?$")
_YM = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?$")
_DT = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_date(text: str) -> dt.date | None:
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _zone(offset: str | None, name: str | None) -> dt.tzinfo | None | bool:
    if name:
        try:
            return ZoneInfo(name[1:])
        except (ZoneInfoNotFoundError, ValueError):
            return False
    if not offset:
        return None
    if offset == "Z":
        return dt.timezone.utc
    sign = -1 if offset[0] == "-" else 1
    parts = [int(p) for p in offset[1:].split(":")]
    delta = dt.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0)
    if delta > dt.timedelta(hours=14):
        return False
    return dt.timezone(sign * delta)


def parse_time(text: str) -> dt.time | None:
    m = _TIME.match(text)
    if not m:
        return None
    h, mi, s, frac, offset, name = m.groups()
    if offset and name:
        return None
    tz = _zone(offset, name)
    if tz is False:
        return None
    try:
        micro = int((frac or ".0")[1:7].ljust(6, "0"))
        return dt.time(int(h), int(mi), int(s), micro, tzinfo=tz)
    except ValueError:
        return None


def parse_date_time(text: str) -> dt.datetime | None:
    if "T" not in text:
        d = parse_date(text)
        return dt.datetime(d.year, d.month, d.day) if d else None
    day, _, clock = text.partition("T")
    d, t = parse_date(day), parse_time(clock)
    if d is None or t is None:
        return None
    if t.hour == 24:
        return None
    return dt.datetime.combine(d, t.replace(tzinfo=None), tzinfo=t.tzinfo)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    m = _YM.match(text)
    if m and (m.group(2) or m.group(3)):
        months = int(m.group(2) or 0) * 12 + int(m.group(3) or 0)
        return YearsMonths(-months if m.group(1) else months)
    m = _DT.match(text)
    if m and any(m.group(i) for i in range(2, 6)) and not text.endswith("T"):
        sign, d, h, mi, s = m.groups()
        try:
            value = dt.timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0),
                                 seconds=float(Decimal(s)) if s else 0)
        except OverflowError:
            return None
        return -value if sign else value
    return None


def format_duration(value: dt.timedelta) -> str:
    total = value.days * 86400 + value.seconds
    micro = value.microseconds
    sign = ""
    if total < 0:
        sign = "-"
        total, micro = -total - (1 if micro else 0), (1_000_000 - micro) % 1_000_000
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    body = f"{days}D" if days else ""
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micro:
        clock += f"{seconds}.{str(micro).rjust(6, '0').rstrip('0')}S" if micro else f"{seconds}S"
    if clock:
        body += "T" + clock
    return f"{sign}P{body or 'T0S'}"


def format_value(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return _with_zone(value.replace(tzinfo=None).isoformat(), value.tzinfo, value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _with_zone(value.replace(tzinfo=None).isoformat(), value.tzinfo, None)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, YearsMonths):
        return value.iso()
    raise TypeError(type(value).__name__)


def _with_zone(text: str, tz: dt.tzinfo | None, moment: dt.datetime | None) -> str:
    if tz is None:
        return text
    if isinstance(tz, ZoneInfo):
        return f"{text}@{tz.key}"
    offset = tz.utcoffset(moment)
    if offset == dt.timedelta(0):
        return text + "Z"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    h, m = divmod(abs(total) // 60, 60)
    return f"{text}{sign}{h:02d}:{m:02d}"


def seconds(value: dt.timedelta) -> Decimal:
    return CONTEXT.create_decimal(value.days * 86400 + value.seconds) + CONTEXT.create_decimal(value.microseconds) / 1_000_000


def from_seconds(total: Decimal) -> dt.timedelta:
    return dt.timedelta(seconds=float(total)) if abs(total) < 10 ** 15 else dt.timedelta.max


def add_months(value: dt.date, months: int) -> dt.date | None:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    import calendar

    if not 1 <= year <= 9999:
        return None
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def offset_duration(value: dt.datetime | dt.time) -> dt.timedelta | None:
    if value.tzinfo is None:
        return None
    return value.utcoffset() if isinstance(value, dt.time) else value.tzinfo.utcoffset(value)


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def property_of(value: Any, name: str) -> Any:
    """The properties the spec gives temporal values; anything else is null."""
    if isinstance(value, (dt.date, dt.datetime)):
        date_props = {"year": value.year, "month": value.month, "day": value.day,
                      "weekday": value.isoweekday()}
        if name in date_props:
            return CONTEXT.create_decimal(date_props[name])
    if isinstance(value, (dt.time, dt.datetime)):
        time_props = {"hour": value.hour, "minute": value.minute}
        if name in time_props:
            return CONTEXT.create_decimal(time_props[name])
        if name == "second":
            return CONTEXT.create_decimal(value.second) + CONTEXT.create_decimal(value.microsecond) / 1_000_000
        if name == "time offset":
            return offset_duration(value)
        if name == "timezone":
            return value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
    if isinstance(value, dt.timedelta):
        total = value.days * 86400 + value.seconds
        sign = -1 if total < 0 else 1
        total = abs(total)
        parts = {"days": total // 86400, "hours": total % 86400 // 3600, "minutes": total % 3600 // 60,
                 "seconds": total % 60}
        if name in parts:
            return CONTEXT.create_decimal(sign * parts[name])
    if isinstance(value, YearsMonths):
        sign = -1 if value.months < 0 else 1
        if name == "years":
            return CONTEXT.create_decimal(sign * (abs(value.months) // 12))
        if name == "months":
            return CONTEXT.create_decimal(sign * (abs(value.months) % 12))
    return None
