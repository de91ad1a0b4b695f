"""The company's look in what customers see (issue 16): its name, logo and two colours, set by an
administrator; every customer email and portal page reads them through `current_brand`.

Unset values fall back to the app's own look: the name is SOPORTE_SUPPORT_NAME (the name our mail
is sent from), the header band #212529 (the portal's dark header) and the buttons and links
#0b5ed7 (the mail's button). Both colours carry white text or sit on a white page, so each must
reach WCAG's 4.5:1 contrast with white.

The logo reaches mail programs as an inline image of the message (multipart/related, Content-ID
`logo-<digest>@<domain>`, added by app.mail.build through `inline_logo`), so it shows without
loading remote content; portal pages load it from /marca/logo/<digest> (app.portal.branding).
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.branding import BRANDING_ROW_ID, CompanyBranding
from app.models.user import User
from app.services.control_characters import fits_one_line
from app.services.errors import NotFound, ValidationFailed
from app.services.logo_image import NotRaster, measure
from app.services.permissions import Actor, Permission, actor_user_id, require

log = logging.getLogger(__name__)

DEFAULT_PRIMARY = "#212529"  # the portal's dark header
DEFAULT_ACCENT = "#0b5ed7"  # the mail's "View the ticket" button
WHITE = "#ffffff"
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text
NAME_MAX = 120
LOGO_MAX_BYTES = 512 * 1024
LOGO_MIN_SIDE = 16
LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT = 2000, 1000
LOGO_MAX_RATIO = 8  # wider than 8:1 (or taller than 1:8) is a banner, unreadable at 40 px
# How big the logo is shown: at most this high in the header, at most this wide.
LOGO_SHOWN_HEIGHT, LOGO_SHOWN_MAX_WIDTH = 40, 200
_COLOUR = re.compile(r"#[0-9a-f]{6}")
_CID_IN_HTML = re.compile(r'src="cid:(logo-([0-9a-f]{16})@[^"\s]+)"')


@dataclass(frozen=True)
class Brand:
    """What a customer's mail or page shows: the name, the colours (header band under white
    text, buttons and links), and the logo's address and shown size when there is one."""

    name: str
    primary_color: str
    accent_color: str
    logo_digest: str | None = None
    logo_content_type: str | None = None
    logo_width: int = 0  # as shown, in CSS pixels
    logo_height: int = 0

    @property
    def has_logo(self) -> bool:
        return self.logo_digest is not None

    @property
    def logo_cid(self) -> str | None:
        """The Content-ID of the logo inside a mail (without the angle brackets)."""
        if self.logo_digest is None:
            return None
        domain = current_app.config["SOPORTE_SUPPORT_ADDRESS"].rpartition("@")[2] or "localhost"
        return f"logo-{self.logo_digest[:16]}@{domain}"

    @property
    def logo_path(self) -> str | None:
        """The portal's address of the logo (same origin, within the pages' CSP)."""
        return f"/marca/logo/{self.logo_digest}" if self.logo_digest else None


@dataclass(frozen=True)
class BrandingInput:
    """What the administrator's form sends: blank text means "the default"; `logo` is a new
    file's bytes (None: keep the current one), `remove_logo` drops it."""

    name: str = ""
    primary_color: str = ""
    accent_color: str = ""
    logo: bytes | None = None
    remove_logo: bool = False


BRAND = "soporte.brand"  # the session's current_brand(), kept in Session.info


def current_brand() -> Brand:
    """The company's look as customers see it now, defaults filling what is unset: read once per
    session (a request, a poller's round, a worker's pass), again after this session saves it
    or rolls back; a save elsewhere shows from the next session on."""
    info = db.session.info
    if BRAND not in info:
        info[BRAND] = _brand()
    return info[BRAND]


@event.listens_for(Session, "after_soft_rollback")
def _forget_brand(session: Session, _previous_transaction) -> None:
    session.info.pop(BRAND, None)


def default_name() -> str:
    """The company's name while none is saved: SOPORTE_SUPPORT_NAME."""
    return current_app.config["SOPORTE_SUPPORT_NAME"]


def _brand() -> Brand:
    row = _row()
    name = default_name()
    if row is None:
        return Brand(name, DEFAULT_PRIMARY, DEFAULT_ACCENT)
    width, height = shown_size(row.logo_width or 0, row.logo_height or 0)
    return Brand(name=row.name or name,
                 primary_color=row.primary_color or DEFAULT_PRIMARY,
                 accent_color=row.accent_color or DEFAULT_ACCENT,
                 logo_digest=row.logo_sha256, logo_content_type=row.logo_content_type,
                 logo_width=width, logo_height=height)


def settings(actor: Actor) -> CompanyBranding | None:
    """The administrator's saved row (None before the first save): the form's values. Raises
    NotPermitted for anyone who may not save it (save_branding's rule)."""
    require(actor, Permission.MANAGE_REFERENCE)
    return _row()


def shown_size(width: int, height: int) -> tuple[int, int]:
    """The logo's size in the header: LOGO_SHOWN_HEIGHT high, narrower when that would make it
    wider than LOGO_SHOWN_MAX_WIDTH; (0, 0) for none."""
    if width <= 0 or height <= 0:
        return 0, 0
    shown_w = round(width * LOGO_SHOWN_HEIGHT / height)
    if shown_w <= LOGO_SHOWN_MAX_WIDTH:
        return shown_w, LOGO_SHOWN_HEIGHT
    return LOGO_SHOWN_MAX_WIDTH, max(1, round(height * LOGO_SHOWN_MAX_WIDTH / width))


def save_branding(actor: Actor, data: BrandingInput) -> CompanyBranding:
    """Save the company's name, colours and logo (administrators only); the row says who saved
    it and when, and the log keeps a line of what changed.

    Raises NotPermitted, ValidationFailed (a name too long or with control characters, a colour
    that is not #rrggbb or too light against white, a logo that is not a PNG or JPEG, too big,
    too small, too large or too oddly shaped)."""
    require(actor, Permission.MANAGE_REFERENCE)
    name = _name(data.name)
    primary = _colour(data.primary_color, "primary_color",
                      _l("The header colour carries white text"))
    accent = _colour(data.accent_color, "accent_color",
                     _l("The button and link colour carries white text and sits on white pages"))
    row = _row() or CompanyBranding(id=BRANDING_ROW_ID)
    before = _summary(row)
    row.name, row.primary_color, row.accent_color = name, primary, accent
    if data.logo:
        _set_logo(row, data.logo)
    elif data.remove_logo:
        row.logo = row.logo_content_type = row.logo_sha256 = None
        row.logo_width = row.logo_height = None
    row.updated_by_id = actor_user_id(actor)
    db.session.add(row)
    db.session.flush()
    db.session.info.pop(BRAND, None)
    log.info("branding changed by user=%s: %s -> %s", actor_user_id(actor), before,
             _summary(row))
    return row


def logo_image(digest: str) -> tuple[bytes, str]:
    """The logo's bytes and its type, when `digest` names the current logo; NotFound otherwise
    (an older logo's address stops working when it is replaced)."""
    row = _row()
    if row is None or not row.logo_sha256 or row.logo_sha256 != digest:
        raise NotFound(_l("There is no such logo."))
    return row.logo, row.logo_content_type


def inline_logo(html: str | None) -> tuple[str, bytes, str] | None:
    """For a mail whose HTML shows the logo by Content-ID: (cid, bytes, subtype) of the logo to
    put inside the message; None when the HTML names no logo or the company has none now (a
    logo replaced since the mail was written is sent under the mail's Content-ID)."""
    match = _CID_IN_HTML.search(html or "")
    if match is None:
        return None
    row = _row()
    if row is None or not row.logo_sha256:
        return None
    logo = db.session.scalar(db.select(CompanyBranding.logo).where(
        CompanyBranding.id == BRANDING_ROW_ID))
    return match.group(1), logo, row.logo_content_type.partition("/")[2]


def contrast_with_white(colour: str) -> float:
    """WCAG 2's contrast ratio of a #rrggbb colour with white (1 to 21)."""
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def updated_by(row: CompanyBranding | None) -> User | None:
    """Who saved the settings last (None before the first save)."""
    return row.updated_by if row is not None else None


def _row() -> CompanyBranding | None:
    return db.session.get(CompanyBranding, BRANDING_ROW_ID)


def _name(value: str | None) -> str | None:
    """The company's name, or None for the default; ValidationFailed when unusable."""
    name = (value or "").strip()
    if not fits_one_line(name):
        raise ValidationFailed(_l("The company name cannot contain control characters. Type it "
                                  "again on one line."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_l("The company name is at most %(max)s characters; shorten it.",
                                  max=NAME_MAX), field="name")
    return name or None


def _colour(value: str | None, field: str, what) -> str | None:
    """A #rrggbb colour (lower case) dark enough for white text, or None for the default."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if not text.startswith("#"):
        text = "#" + text
    if not _COLOUR.fullmatch(text):
        raise ValidationFailed(_l("Write the colour as # and six hexadecimal digits, for example "
                                  "#0b5ed7, or leave it empty for the default."), field=field)
    ratio = contrast_with_white(text)
    if ratio < MIN_CONTRAST:
        raise ValidationFailed(
            _l("%(what)s: %(colour)s has a contrast of %(ratio)s:1 with white, and text needs at "
               "least 4.5:1 to be readable. Choose a darker shade of it.",
               what=what, colour=text, ratio=LazyString(
                   lambda: format_decimal(round(ratio, 1), format="0.0"))), field=field)
    return text


def _set_logo(row: CompanyBranding, data: bytes) -> None:
    """Check the file and store it with its type, size and digest; ValidationFailed otherwise."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed(_l("The logo is %(size)s KB; it can be at most %(max)s KB. Save it "
                                  "smaller (a PNG of about 400 × 100 pixels is plenty).",
                                  size=len(data) // 1024, max=LOGO_MAX_BYTES // 1024),
                               field="logo")
    try:
        image = measure(data)
    except NotRaster as refused:
        if refused.kind == "svg":
            message = _l("SVG logos are not accepted (an SVG file can carry scripts). Export "
                         "the logo as a PNG and upload that.")
        else:
            message = _l("The logo must be a PNG or JPEG image; this file is not one (or is "
                         "damaged). Export the logo as a PNG and upload that.")
        raise ValidationFailed(message, field="logo") from None
    if min(image.width, image.height) < LOGO_MIN_SIDE or image.width > LOGO_MAX_WIDTH \
            or image.height > LOGO_MAX_HEIGHT:
        raise ValidationFailed(
            _l("The logo is %(width)s × %(height)s pixels; it must be at least %(min)s pixels on "
               "each side and at most %(max_w)s wide and %(max_h)s high.",
               width=image.width, height=image.height, min=LOGO_MIN_SIDE,
               max_w=LOGO_MAX_WIDTH, max_h=LOGO_MAX_HEIGHT), field="logo")
    if max(image.width / image.height, image.height / image.width) > LOGO_MAX_RATIO:
        raise ValidationFailed(
            _l("The logo is %(width)s × %(height)s pixels: too long and thin to be read in a "
               "header %(shown)s pixels high. Crop it closer to the logo itself.",
               width=image.width, height=image.height, shown=LOGO_SHOWN_HEIGHT), field="logo")
    row.logo, row.logo_content_type = data, image.content_type
    row.logo_width, row.logo_height = image.width, image.height
    row.logo_sha256 = hashlib.sha256(data).hexdigest()


def _summary(row: CompanyBranding) -> str:
    """A log line's view of the settings (the logo by its digest)."""
    return (f"name={row.name!r} primary={row.primary_color} accent={row.accent_color} "
            f"logo={(row.logo_sha256 or '')[:12] or None}")
