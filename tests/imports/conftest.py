import datetime as dt
from pathlib import Path

import pytest

from proxima.imports.engine import run_import
from proxima.imports.households import HouseholdImporter
from proxima.imports.stock import StockImporter

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 29)


def edit(tmp_path, source: str, name: str | None = None, *, replace=(), append="", encoding="utf-8") -> Path:
    """Copy a data file with some text replaced: the bad files of the tests are the good ones, broken once."""
    text = (DATA / source).read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / (name or source)
    path.write_text(text + append, encoding=encoding)
    return path


@pytest.fixture
def import_stock(landlord):
    def run(path=DATA / "stock.csv", **kwargs):
        return run_import(
            StockImporter, path, organisation=kwargs.pop("organisation", landlord), today=TODAY, **kwargs
        )

    return run


@pytest.fixture
def import_households(landlord):
    def run(path=DATA / "households.csv", **kwargs):
        return run_import(
            HouseholdImporter, path, organisation=kwargs.pop("organisation", landlord), today=TODAY, **kwargs
        )

    return run
