"""Column types shared by the tables of every package."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Enum, inspect
from sqlalchemy.orm.attributes import set_attribute
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

#: How constraints and indexes are named, so that a migration can refer to any of them by a name that is
#: the same on SQLite and PostgreSQL (without it PostgreSQL makes up ``ticket_pkey`` and SQLite none).
#: Set here because every models module imports this one before it defines a table.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN201
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN201
        if value is None or value.tzinfo is UTC:  # PostgreSQL in UTC (web.db.make_engine)
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[enum.Enum], length: int = 24) -> Enum:
    """A string column holding an enum's values (not a native database enum, so adding a value
    needs no ALTER TYPE); reads give enum members back."""
    return Enum(enum_cls, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda cls: [m.value for m in cls], validate_strings=True)


class Row(SQLModel):
    """The base of every table model. A new row is built without SQLModel's per-field work (``__init__``);
    setting a column goes to SQLAlchemy's instrumentation only, which
    keeps the value and notes the change; SQLModel would then run pydantic's assignment as well, which for a
    table model validates nothing and costs as much again (a report sets a few hundred columns)."""

    __row_columns__: ClassVar[frozenset[str] | None] = None
    __row_defaults__: ClassVar[dict[str, Any] | None] = None

    def __init__(self, **values: Any) -> None:
        """A new row: its values and the fields' defaults go straight into the instance's dict, which is
        what the ORM inserts for a new object. SQLModel would set each field through the instrumented
        attribute (history, events) and ask pydantic for every default: a report makes a dozen rows of
        up to forty columns."""
        cls = type(self)
        if not values:  # pydantic's model_validate makes an empty one, then sets the fields
            super().__init__()
            return
        defaults = cls.__dict__.get("__row_defaults__")
        if defaults is None:
            if not hasattr(cls, "__table__"):  # not a table: SQLModel's own
                super().__init__(**values)
                return
            defaults = {name: field for name, field in cls.model_fields.items() if not field.is_required()}
            type.__setattr__(cls, "__row_defaults__", defaults)
        fields = cls.model_fields
        unknown = [name for name in values if name not in fields]
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        given = set(values)
        for name, field in defaults.items():
            if name not in values:
                values[name] = field.get_default(call_default_factory=True)
        self.__dict__.update(values)
        object.__setattr__(self, "__pydantic_fields_set__", given)
        object.__setattr__(self, "__pydantic_extra__", None)
        object.__setattr__(self, "__pydantic_private__", None)

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        columns = cls.__dict__.get("__row_columns__")
        if columns is None:
            columns = frozenset(a.key for a in inspect(cls).column_attrs) if hasattr(cls, "__table__") else frozenset()
            type.__setattr__(cls, "__row_columns__", columns)
        if name in columns:
            set_attribute(self, name, value)
            self.__pydantic_fields_set__.add(name)
        else:
            super().__setattr__(name, value)
