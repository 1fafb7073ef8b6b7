"""The 37 recommending authorities (推荐单位), keyed by their GB/T 2260 code."""
from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AuthorityKind(str, enum.Enum):
    """Province-level unit, separately-listed city (计划单列市) or the Corps (兵团)."""

    PROVINCE = "province"
    CITY = "city"
    CORPS = "corps"


class Authority(db.Model):
    """A local commerce authority; `code` is its stable id and never changes."""

    __tablename__ = "authorities"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[AuthorityKind] = mapped_column(
        Enum(AuthorityKind, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])
    )
    # For a separately-listed city its province, for the Corps Xinjiang: the unit that counts
    # as "the same authority" when excluding reviewers (domain.md §5).
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("authorities.code"), default=None)

    @property
    def conflict_group(self) -> str:
        """The code shared by every authority a reviewer of this one must not judge."""
        return self.parent_code or self.code

    def __repr__(self) -> str:
        return f"<Authority {self.code} {self.name}>"
