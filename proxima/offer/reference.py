"""The data·inclusion reference lists (v1) shipped in ``data/data-inclusion``, plus the landlord's own codes.

Themes and publics of a service are codes of the data·inclusion lists, so that the catalogue can be
exported as is (see :mod:`proxima.offer.data_inclusion`). The lists lack a few things a landlord's
services are about (furniture, energy savings, small repairs; tenants of social housing as a public):
those get codes of their own, under the prefix :data:`LANDLORD_PREFIX` for themes, and are left out of
the export (a public of the landlord's own is said in words in ``publics_precisions``).

Pure module: reads the shipped JSON files once, nothing imported from Django.
"""

import json
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "data-inclusion"
SCHEMA_VERSION = "1.0.8"

# Labels of the first part of a data·inclusion theme code ("numerique--acquerir-un-equipement").
THEME_CATEGORIES = {
    "choisir-un-metier": "Choisir un métier",
    "creer-une-entreprise": "Créer une entreprise",
    "difficultes-administratives-ou-juridiques": "Difficultés administratives ou juridiques",
    "difficultes-financieres": "Difficultés financières",
    "equipement-et-alimentation": "Équipement et alimentation",
    "famille": "Famille",
    "lecture-ecriture-calcul": "Lecture, écriture, calcul",
    "logement-hebergement": "Logement et hébergement",
    "mobilite": "Mobilité",
    "numerique": "Numérique",
    "preparer-sa-candidature": "Préparer sa candidature",
    "remobilisation": "Remobilisation",
    "sante": "Santé",
    "se-former": "Se former",
    "souvrir-a-linternational": "S’ouvrir à l’international",
    "trouver-un-emploi": "Trouver un emploi",
}

LANDLORD_PREFIX = "bailleur"
LANDLORD_CATEGORY_LABEL = "Services du bailleur (hors data·inclusion)"

# Themes of landlords' services that no data·inclusion theme names.
LANDLORD_THEMES = {
    "bailleur--ameublement": "Mobilier et équipement du logement",
    "bailleur--economies-energie": "Économies d’énergie et d’eau",
    "bailleur--petits-travaux": "Petits travaux et bricolage",
    "bailleur--pret-objets": "Prêt d’objets et d’outils",
    "bailleur--conciergerie": "Conciergerie (dépôt de pain, colis)",
    "bailleur--colocation": "Colocation et logement partagé",
    "bailleur--tranquillite": "Tranquillité et vie de la résidence",
}

# Publics of landlords' services that the data·inclusion list lacks.
LANDLORD_PUBLICS = {
    "locataires-hlm": "Locataires du parc social",
    "personnes-agees-isolees": "Personnes âgées isolées",
}


def _read(name: str) -> list[dict]:
    with open(DATA_DIR / "extra" / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


@cache
def di_values(name: str) -> dict[str, str]:
    """``{value: label}`` of one data·inclusion list (``thematiques``, ``publics``, ``reseaux-porteurs``…)."""
    return {item["value"]: item["label"] for item in _read(name)}


def theme_labels() -> dict[str, str]:
    """Every theme a service or a partner may have: data·inclusion's, then the landlord's own."""
    return {**di_values("thematiques"), **LANDLORD_THEMES}


def public_labels() -> dict[str, str]:
    """Every public a service may target: data·inclusion's, then the landlord's own."""
    return {**di_values("publics"), **LANDLORD_PUBLICS}


def theme_category(code: str) -> str:
    """The category of a theme code: its part before ``--``."""
    return code.split("--", 1)[0]


def is_di_theme(code: str) -> bool:
    return code in di_values("thematiques")


def is_di_public(code: str) -> bool:
    return code in di_values("publics")


@cache
def theme_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Themes grouped by category, for a grouped select: ``[(category label, [(code, label), …]), …]``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in theme_labels().items():
        category = theme_category(code)
        title = LANDLORD_CATEGORY_LABEL if category == LANDLORD_PREFIX else THEME_CATEGORIES.get(category, category)
        groups.setdefault(title, []).append((code, label))
    return list(groups.items())


def category_choices() -> list[tuple[str, str]]:
    """Theme categories (the part before ``--``), the landlord's own last: to filter by a whole category."""
    return [*THEME_CATEGORIES.items(), (LANDLORD_PREFIX, LANDLORD_CATEGORY_LABEL)]


def public_choices() -> list[tuple[str, str]]:
    return list(public_labels().items())


def network_choices() -> list[tuple[str, str]]:
    """The data·inclusion "réseaux porteurs" (France services, CCAS-CIAS, CAF…), sorted by label."""
    return sorted(di_values("reseaux-porteurs").items(), key=lambda item: item[1].casefold())


def service_type_choices() -> list[tuple[str, str]]:
    return list(di_values("types-de-services").items())
