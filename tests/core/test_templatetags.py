"""Figures as French readers expect them."""

import pytest
from django.utils import translation

from proxima.core.templatetags.proxima import percent


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(6 / 25, 1, "24,0 %"), (0.1234, 1, "12,3 %"), (0.12351, 2, "12,35 %"), (2 / 3, 0, "67 %"), (None, 1, "–")],
)
def test_percent_rounds(value, digits, expected):
    """Shares are rounded, not cut: 6 out of 25 is 24 %, not 23,9 %."""
    with translation.override("fr"):
        assert percent(value, digits) == expected
