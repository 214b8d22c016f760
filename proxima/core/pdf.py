"""WeasyPrint, loaded when a PDF is asked for.

WeasyPrint draws text with Pango, a system library: loading it lazily keeps every page that is
not a PDF working on a machine without it, and a PDF request then gets a message that says what
to install instead of a crash at start-up.
"""

import warnings
from functools import cache


class PdfUnavailable(RuntimeError):
    pass


@cache
def weasyprint():
    """The weasyprint module, or :class:`PdfUnavailable` saying which system libraries are missing."""
    with warnings.catch_warnings():
        # Without libharfbuzz-subset0 WeasyPrint warns and subsets fonts itself: the PDFs are the same.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
        try:
            import weasyprint
        except OSError as error:  # Pango or its fonts are missing
            raise PdfUnavailable(
                "La création de PDF demande les bibliothèques Pango du système "
                "(Debian : apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core). "
                f"Détail : {error}"
            ) from error
    return weasyprint


def render_document(html: str):
    """Lay out ``html`` (a WeasyPrint Document: its pages, then ``write_pdf()``).

    The text comes from surveys and households: only ``data:`` URIs (inline QR codes, images) may
    be fetched, never a file or a network address an injected tag would point to.
    """
    module = weasyprint()
    fetcher = module.URLFetcher(allowed_protocols={"data"})
    return module.HTML(string=html, url_fetcher=fetcher).render()


def html_to_pdf(html: str) -> bytes:
    return render_document(html).write_pdf()
