"""The company's look (app.services.branding, app.services.logo_image): what an administrator may
set, what is refused and why (in the reader's language), and the defaults when nothing is set."""
import logging
import struct

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import CompanyBranding
from app.services import branding
from app.services.branding import BrandingInput, contrast_with_white, save_branding
from app.services.errors import NotFound, NotPermitted, ValidationFailed
from app.services.logo_image import NotRaster, measure
from tests.customer_mails import jpeg, png


def _refusal(world, **fields) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        save_branding(world.admin, BrandingInput(**fields))
    db.session.rollback()
    return refused.value


def test_with_nothing_set_customers_see_the_apps_look_and_the_configured_name(world, app):
    app.config["SOPORTE_SUPPORT_NAME"] = "Mesa de ayuda"
    brand = branding.current_brand()
    assert (brand.name, brand.primary_color, brand.accent_color) == \
        ("Mesa de ayuda", "#212529", "#0b5ed7")
    assert not brand.has_logo and brand.logo_cid is None and brand.logo_path is None


def test_an_administrator_sets_name_colours_and_logo_and_the_row_says_who(world, caplog):
    logo = png(300, 100)
    with caplog.at_level(logging.INFO, logger="app.services.branding"):
        save_branding(world.admin, BrandingInput(name="  Talleres Nórdicos ",
                                                 primary_color="#5B2A86",
                                                 accent_color="a3123a", logo=logo))
        db.session.commit()
    row = db.session.get(CompanyBranding, 1)
    assert (row.name, row.primary_color, row.accent_color) == \
        ("Talleres Nórdicos", "#5b2a86", "#a3123a")
    assert (row.logo_content_type, row.logo_width, row.logo_height) == ("image/png", 300, 100)
    assert row.logo == logo and row.updated_by_id == world.admin.id
    assert "branding changed by user=%s" % world.admin.id in caplog.text
    brand = branding.current_brand()
    assert brand.name == "Talleres Nórdicos" and brand.has_logo
    assert (brand.logo_width, brand.logo_height) == (120, 40)  # 40 px high in the header
    assert brand.logo_cid == f"logo-{row.logo_sha256[:16]}@soporte.example"
    assert branding.logo_image(row.logo_sha256) == (logo, "image/png")


def test_blank_fields_go_back_to_the_defaults_and_the_logo_can_be_removed(world):
    save_branding(world.admin, BrandingInput(name="X", primary_color="#000000", logo=png()))
    save_branding(world.admin, BrandingInput(name="Otra", remove_logo=True))
    db.session.commit()
    brand = branding.current_brand()
    assert (brand.name, brand.primary_color, brand.has_logo) == ("Otra", "#212529", False)
    with pytest.raises(NotFound):
        branding.logo_image("0" * 64)


def test_saving_without_a_new_file_keeps_the_logo(world):
    save_branding(world.admin, BrandingInput(logo=jpeg(120, 40)))
    save_branding(world.admin, BrandingInput(name="Nuevo nombre"))
    db.session.commit()
    brand = branding.current_brand()
    assert brand.has_logo and brand.logo_content_type == "image/jpeg"


@pytest.mark.parametrize("user", ["agent", "supervisor", "viewer"])
def test_only_administrators_set_it_or_read_its_form(world, user):
    with pytest.raises(NotPermitted):
        save_branding(getattr(world, user), BrandingInput(name="Intruso"))
    with pytest.raises(NotPermitted):
        branding.settings(getattr(world, user))
    assert branding.settings(world.admin) is None  # nothing saved yet


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "#ggg000", "rgb(0,0,0)",
                                    "#fff"])
def test_a_colour_is_hash_and_six_hex_digits(world, colour):
    refusal = _refusal(world, primary_color=colour)
    assert refusal.field == "primary_color"
    assert "#0b5ed7" in str(refusal)


def test_a_colour_too_light_for_white_text_is_refused_saying_what_to_do(world):
    refusal = _refusal(world, accent_color="#ffcc00")
    assert refusal.field == "accent_color"
    with force_locale("en"):
        assert "1.5:1" in str(refusal) and "darker" in str(refusal)
    with force_locale("es"):
        assert "1,5:1" in str(refusal) and "más oscuro" in str(refusal)


def test_the_contrast_line_is_wcags_4_5_to_1():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert contrast_with_white("#767676") >= 4.5 > contrast_with_white("#777777")


def test_the_lightest_readable_grey_is_accepted_and_the_next_refused(world):
    save_branding(world.admin, BrandingInput(primary_color="#767676"))
    assert _refusal(world, primary_color="#777777").field == "primary_color"


def test_a_name_too_long_or_with_control_characters_is_refused(world):
    assert _refusal(world, name="x" * 121).field == "name"
    assert _refusal(world, name="Acme\nS.A.").field == "name"


def test_an_svg_logo_is_refused_for_its_scripts(world):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refusal = _refusal(world, logo=svg)
    assert refusal.field == "logo"
    with force_locale("en"):
        assert "SVG" in str(refusal) and "PNG" in str(refusal)


@pytest.mark.parametrize("data", [
    b"GIF89a" + b"\0" * 40,
    b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 40,
    b"<html><script>alert(1)</script></html>",
    png()[:60],  # cut short
    png()[:20] + b"\0" * 4 + png()[24:],  # a wrong size with its old CRC
    b"\xff\xd8\xff\xe0" + b"\0" * 30,  # a JPEG with no frame header
])
def test_anything_but_a_whole_png_or_jpeg_is_refused(world, data):
    refusal = _refusal(world, logo=data)
    assert refusal.field == "logo"
    with force_locale("en"):
        assert "PNG or JPEG" in str(refusal)


def test_a_logo_too_heavy_is_refused_with_its_size(world):
    heavy = png(400, 100)[:-12] + b"\0" * (branding.LOGO_MAX_BYTES) + png()[-12:]
    refusal = _refusal(world, logo=heavy)
    with force_locale("en"):
        assert refusal.field == "logo" and "at most 512 KB" in str(refusal)


@pytest.mark.parametrize("size", [(8, 8), (3000, 400), (400, 1200), (900, 60)])
def test_a_logo_too_small_too_large_or_too_thin_is_refused(world, size):
    refusal = _refusal(world, logo=png(*size))
    with force_locale("en"):
        assert refusal.field == "logo" and f"{size[0]} × {size[1]} pixels" in str(refusal)


def test_the_database_refuses_a_second_row_and_a_type_but_png_or_jpeg(world):
    from sqlalchemy.exc import IntegrityError

    db.session.add(CompanyBranding(id=2, name="Otra"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(CompanyBranding(id=1, logo=b"<svg/>", logo_content_type="image/svg+xml",
                                   logo_sha256="0" * 64, logo_width=1, logo_height=1))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_measure_reads_png_and_jpeg_sizes():
    assert measure(png(320, 80)).width == 320 and measure(png(320, 80)).height == 80
    image = measure(jpeg(150, 50))
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 150, 50)
    with pytest.raises(NotRaster) as refused:
        measure(b"  <svg></svg>")
    assert refused.value.kind == "svg"
    # a JPEG's size is in its frame header, after any other segment
    comment = b"\xff\xfe" + struct.pack(">H", 6) + b"hola"
    moved = jpeg(90, 30)[:2] + comment + jpeg(90, 30)[2:]
    assert measure(moved).width == 90


def test_no_damaged_or_crafted_image_header_escapes_as_anything_but_not_raster():
    """The class of the crafted PNG whose IHDR length pointed past a 1-3 byte tail (struct.error,
    a 500): every cut and every one-byte change of the headers is measured or refused."""
    import random

    rng = random.Random(16)
    crafted = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 28) + b"IHDR" + b"\0" * 30
    samples = [crafted, png(300, 75), jpeg(120, 40)]
    for image in samples[1:]:
        samples += [image[:cut] for cut in range(len(image) + 1)]
        for _ in range(400):
            at = rng.randrange(min(len(image), 64))
            samples.append(image[:at] + bytes([rng.randrange(256)]) + image[at + 1:])
    for sample in samples:
        try:
            measure(sample)
        except NotRaster:
            pass
