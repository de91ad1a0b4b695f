"""The company's look in customer mail and pages: its name, logo and two colours, set by an
administrator (app.services.branding); one row at most, read through the service, which fills
what is unset with the app's own look."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import UTCDateTime, utcnow
from app.models.user import User

# The one row's id: a second row is refused by the database (ck_company_branding_single_row).
BRANDING_ROW_ID = 1
LOGO_CONTENT_TYPES = ("image/png", "image/jpeg")


def _colour_check(column: str) -> CheckConstraint:
    """'#' and six more characters (the service checks the hex digits and the contrast)."""
    return CheckConstraint(
        f"{column} IS NULL OR (length({column}) = 7 AND substr({column}, 1, 1) = '#')",
        name=f"{column}_format")


class CompanyBranding(db.Model):
    """What an administrator set; NULL means "the default" (the configured name, the app's
    colours, no logo). The logo is stored here, already checked to be a PNG or JPEG of sane
    size, with its measured dimensions and its SHA-256 (the URL and ETag that let mail programs
    and browsers cache it)."""

    __tablename__ = "company_branding"
    __table_args__ = (
        CheckConstraint(f"id = {BRANDING_ROW_ID}", name="single_row"),
        _colour_check("primary_color"),
        _colour_check("accent_color"),
        CheckConstraint("logo_content_type IS NULL OR logo_content_type IN ('image/png', 'image/jpeg')",
                        name="logo_content_type_raster"),
        CheckConstraint("(logo IS NULL AND logo_content_type IS NULL AND logo_sha256 IS NULL"
                        " AND logo_width IS NULL AND logo_height IS NULL)"
                        " OR (logo IS NOT NULL AND logo_content_type IS NOT NULL"
                        " AND logo_sha256 IS NOT NULL AND logo_width > 0 AND logo_height > 0)",
                        name="logo_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(120))
    # Header band and buttons, under white text.
    primary_color: Mapped[str | None] = mapped_column(String(7))
    # Links and headings, on the white page.
    accent_color: Mapped[str | None] = mapped_column(String(7))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str | None] = mapped_column(String(20))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    updated_by: Mapped[User | None] = relationship()
