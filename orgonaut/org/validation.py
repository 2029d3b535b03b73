"""Rules the org services share: names, enum values, and UNCHANGED for "leave this field as it is".

The field rules of one kind of row live with its service (`units`, `actors`, `placements`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

from orgonaut.errors import ValidationFailed

_NAME_MAX = 200


EnumT = TypeVar("EnumT", bound=StrEnum)


class Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# For optional fields where None is a value (a placement's open end): "leave it as it is".
UNCHANGED: Final = Unchanged()


def clean_name(name: str | None, what: str) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationFailed(f"A {what} needs a name.")
    if len(value) > _NAME_MAX:
        raise ValidationFailed(f"A {what} name has at most {_NAME_MAX} characters.")
    return value


def parse_enum(enum: type[EnumT], value: EnumT | str, what: str) -> EnumT:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown {what} '{value}'. Valid: {', '.join(member.value for member in enum)}."
        ) from None
