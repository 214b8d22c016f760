"""The kinds of import, by the name used on the command line and in the web form."""

from proxima.imports.households import HouseholdImporter
from proxima.imports.stock import StockImporter

IMPORTERS = {
    "stock": StockImporter,
    "households": HouseholdImporter,
}
LABELS = {
    "stock": "Patrimoine (résidences, bâtiments, logements)",
    "households": "Ménages (un occupant par ligne)",
}
