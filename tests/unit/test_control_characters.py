"""The one rule for control characters (app.services.control_characters): one line takes none
(Unicode's Cc: C0, DEL and C1, tab and line breaks included); multi-line text takes tab and line
breaks and no other."""
import unicodedata

import pytest

from app.services.control_characters import fits_multi_line, fits_one_line

LINE_BREAKS_AND_TAB = "\t\n\r"


def test_one_line_refuses_exactly_unicodes_control_characters():
    for code in (*range(0x00, 0xA1), 0x2028, 0xFEFF, 0x1F600):
        char = chr(code)
        assert fits_one_line(f"a{char}b") is (unicodedata.category(char) != "Cc"), hex(code)


def test_multi_line_text_takes_tab_and_line_breaks_and_no_other_control():
    for code in range(0x00, 0xA1):
        char = chr(code)
        expected = unicodedata.category(char) != "Cc" or char in LINE_BREAKS_AND_TAB
        assert fits_multi_line(f"a{char}b") is expected, hex(code)


@pytest.mark.parametrize("text", ["", None, "Ñandú – 5 €", "  espacios  "])
def test_ordinary_text_and_none_fit_both(text):
    assert fits_one_line(text) and fits_multi_line(text)
