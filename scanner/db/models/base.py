"""The declarative base every table shares: one naming convention, enums stored as values."""

from __future__ import annotations

import enum

from sqlalchemy import (
    Enum,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    # Store the readable value, not the Python name; non-native so SQLite and PostgreSQL agree.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        length=24,
    )
