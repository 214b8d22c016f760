from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def share(value, digits=1):
    """0.6667 -> "66,7 %": rounded (not truncated) to ``digits`` decimals, French format; "–" when undefined."""
    if value is None:
        return "–"
    digits = int(digits)
    return f"{number_format(round(value * 100, digits), digits)} %"


@register.filter
def share_cells(estimate, min_respondents):
    """The two table cells of an estimate: raked share and its 95 % interval, then the unweighted ones.

    A filter rather than an included template: the breakdown by site has 2,000 rows, and an
    ``{% include %}`` per row costs more than the rest of the page.
    """
    if estimate.reliable:
        return format_html(
            '<td class="num"><strong>{}</strong><br><span class="ci">{} – {}</span></td>'
            '<td class="num">{}<br><span class="ci">{} – {}</span></td>',
            share(estimate.share),
            share(estimate.low),
            share(estimate.high),
            share(estimate.unweighted_share),
            share(estimate.unweighted_low),
            share(estimate.unweighted_high),
        )
    if estimate.respondents:
        return format_html(
            '<td colspan="2" class="insufficient">Trop peu de répondants ({} &lt; {}) : non affiché</td>',
            estimate.respondents,
            min_respondents,
        )
    return format_html('<td colspan="2" class="insufficient">Aucun répondant</td>')
