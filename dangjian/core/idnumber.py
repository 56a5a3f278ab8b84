"""Chinese resident ID numbers (GB 11643-1999): validation and masking."""

import re
from datetime import date

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def normalise(value: str) -> str:
    return (value or "").strip().upper()


def validate(value: str):
    """Return None when valid, else a Chinese reason."""
    value = normalise(value)
    if not _PATTERN.match(value):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if birth.year < 1900 or birth > date.today():
        return "身份证号中的出生日期无效"
    if check_digit(value[:17]) != value[17]:
        return "身份证号校验位错误"
    return None


def birth_date(value: str):
    value = normalise(value)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender(value: str):
    """'M' or 'F' from the 17th digit."""
    return "M" if int(normalise(value)[16]) % 2 else "F"


def mask(value: str) -> str:
    value = normalise(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    value = (value or "").strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
