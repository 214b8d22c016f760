from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def percent(value, digits=1):
    """0.1234 -> "12,3 %" (French format); empty when the rate is undefined."""
    if value is None:
        return "–"
    # Django's number_format cuts extra digits off: round first, from the float's shortest text (6/25 is 24 %).
    return f"{number_format(round(Decimal(str(value)) * 100, int(digits)), int(digits))} %"


@register.filter
def euros(value):
    if value is None:
        return "–"
    return f"{number_format(value, 2, force_grouping=True)} €"


@register.simple_tag(takes_context=True)
def nav_current(context, *prefixes):
    """aria-current for the navigation link of the section being shown."""
    path = context["request"].path
    return mark_safe('aria-current="page"') if any(path.startswith(p) for p in prefixes) else ""


@register.filter
def age_in(birth_year, year):
    """Age reached during ``year`` by someone born in ``birth_year``."""
    return int(year) - int(birth_year)


@register.filter
def phone(value):
    """0254123456 -> "02 54 12 34 56"."""
    if not value or len(value) != 10:
        return value
    return " ".join(value[i : i + 2] for i in range(0, 10, 2))
