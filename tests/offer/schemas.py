"""The official data·inclusion JSON schemas shipped in proxima/offer/data/data-inclusion, as validators.

Every ``$ref`` of the schemas is resolved from the shipped files (a registry that knows them only), so a
validation never goes to the network; ``format`` (date, email) is checked too.
"""

import json
from functools import cache

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from proxima.offer.reference import DATA_DIR

SCHEMA_FILES = ("service.json", "structure.json")


def _load(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as f:
        return json.load(f)


@cache
def registry() -> Registry:
    """The shipped schemas and reference lists, under their file names: the only documents a $ref can reach."""
    names = [*SCHEMA_FILES, *(f"extra/{p.name}" for p in sorted((DATA_DIR / "extra").glob("*.json")))]
    return Registry().with_resources(
        (name, Resource.from_contents(_load(name), default_specification=DRAFT202012)) for name in names
    )


@cache
def validator(name: str) -> Draft202012Validator:
    schema = _load(name)
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def errors(name: str, instance: dict) -> list[str]:
    """The schema's complaints about ``instance``, each as ``path: message`` (empty list: valid)."""
    found = validator(name).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(objet)'}: {e.message}" for e in found]
