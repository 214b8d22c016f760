"""The catalogue in the data·inclusion schema (v1.0.8): one object per structure and per service.

data·inclusion gathers the offer of social-inclusion services of France; partners' directories (DORA,
Soliguide, France services, the Département's) take it in. A *structure* is who renders services (the
landlord and each partner providing a listed service); a *service* is one entry of the catalogue.

Pure module: plain records in, plain dicts out (ready for ``json.dump``), nothing imported from Django,
no clock. The adapter (:mod:`proxima.offer.exports`) builds the records from the database. The rules
of the schema the code follows (docs/service.md and docs/structure.md of the schema):

- ids are ``"{source}--{local_id}"``; ``date_maj`` is an ISO date;
- ``publics = ["tous-publics"]`` stands alone; themes and publics outside the reference lists (the
  landlord's own) are left out, a public of the landlord's own is said in ``publics_precisions``;
- ``zone_eligibilite`` lists INSEE codes (communes here);
- ``horaires_accueil`` is in the OpenStreetMap ``opening_hours`` syntax (``Tu 14:00-17:00; Th 09:00-12:00``);
- a telephone number is one number, in the E.164 format when it is a French one.
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from proxima.offer import reference

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ALL_PUBLICS = "tous-publics"


@dataclass(frozen=True)
class Place:
    """Where a structure or a service welcomes people."""

    address: str = ""
    commune_code: str = ""
    commune_name: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class StructureRecord:
    local_id: str
    name: str
    updated_on: dt.date
    place: Place = Place()
    description: str = ""
    siret: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceRecord:
    """A service as data·inclusion describes it.

    ``free`` with ``fee_details`` the price in words when it is not; ``hours`` are weekly periods
    ``(weekday 0 = Monday, "HH:MM", "HH:MM")``; ``zone`` the INSEE codes of the communes it serves.
    """

    local_id: str
    structure_local_id: str
    name: str
    description: str
    updated_on: dt.date
    kind: str = ""
    themes: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    free: bool = True
    fee_details: str = ""
    place: Place = Place()
    in_person: bool = True
    remote: bool = False
    referral_only: bool = False
    how_to_access: str = ""
    conditions: str = ""
    phone: str = ""
    email: str = ""
    link: str = ""
    hours: tuple[tuple[int, str, str], ...] = field(default_factory=tuple)
    zone: tuple[str, ...] = ()


def make_id(source: str, local_id: str) -> str:
    return f"{source}--{local_id}"


def e164(phone: str) -> str | None:
    """A French number as E.164 (``02 54 00 00 00`` → ``+33254000000``); another number as typed; None if empty."""
    text = phone.strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        return "+" + digits
    if text.startswith("00") and len(digits) > 4:
        return "+" + digits[2:]
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    return text


def opening_hours(hours: Iterable[tuple[int, str, str]]) -> str | None:
    """Weekly periods in the OpenStreetMap ``opening_hours`` syntax; days with the same hours are grouped.

    >>> opening_hours([(1, "14:00", "17:00"), (3, "14:00", "17:00"), (3, "09:00", "12:00")])
    'Tu 14:00-17:00; Th 09:00-12:00,14:00-17:00'
    """
    by_day: dict[int, list[tuple[str, str]]] = {}
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6:
            raise ValueError(f"Expected a weekday between 0 and 6, got {weekday}.")
        by_day.setdefault(weekday, []).append((opens, closes))
    if not by_day:
        return None
    rules: list[tuple[list[int], str]] = []
    for weekday in sorted(by_day):
        spans = ",".join(f"{a}-{b}" for a, b in sorted(by_day[weekday]))
        if rules and rules[-1][1] == spans and rules[-1][0][-1] == weekday - 1:
            rules[-1][0].append(weekday)
        else:
            rules.append(([weekday], spans))
    parts = []
    for days, spans in rules:
        label = OSM_DAYS[days[0]] if len(days) == 1 else f"{OSM_DAYS[days[0]]}-{OSM_DAYS[days[-1]]}"
        if len(days) == 2:
            label = f"{OSM_DAYS[days[0]]},{OSM_DAYS[days[1]]}"
        parts.append(f"{label} {spans}")
    return "; ".join(parts)


def _text(value: str, *, min_length: int = 1) -> str | None:
    value = (value or "").strip()
    return value if len(value) >= min_length else None


def _place_fields(place: Place) -> dict:
    return {
        "adresse": _text(place.address),
        "code_insee": place.commune_code or None,
        "commune": place.commune_name or None,
        "code_postal": place.postcode or None,
        "latitude": place.latitude,
        "longitude": place.longitude,
    }


def structure_dict(source: str, record: StructureRecord) -> dict:
    """One structure as a data·inclusion object."""
    networks = sorted(set(record.networks) & set(reference.di_values("reseaux-porteurs")))
    return {
        "source": source,
        "id": make_id(source, record.local_id),
        "nom": record.name.strip(),
        "date_maj": record.updated_on.isoformat(),
        "description": _text(record.description, min_length=5),
        "siret": record.siret or None,
        **_place_fields(record.place),
        "telephone": e164(record.phone),
        "courriel": _text(record.email),
        "site_web": _text(record.website),
        "reseaux_porteurs": networks or None,
        "horaires_accueil": None,
        "accessibilite_lieu": None,
        "lien_source": None,
        "complement_adresse": None,
    }


def split_publics(codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """The data·inclusion publics, and the labels of the landlord's own, of a service.

    ``tous-publics`` stands alone in the schema: with other publics it is dropped, the others being
    the more precise. A service for the landlord's own publics only has no data·inclusion public.
    """
    codes = list(dict.fromkeys(codes))
    di = [c for c in codes if reference.is_di_public(c)]
    if ALL_PUBLICS in di and len(di) > 1:
        di.remove(ALL_PUBLICS)
    labels = reference.public_labels()
    own = [labels[c] for c in codes if not reference.is_di_public(c) and c in labels]
    return di, own


def _mobilisation(record: ServiceRecord) -> list[str]:
    modes = []
    if record.email:
        modes.append("envoyer-un-courriel")
    if record.in_person and not record.referral_only:
        modes.append("se-presenter")
    if record.phone:
        modes.append("telephoner")
    if record.link:
        modes.append("utiliser-lien-mobilisation")
    return modes


def service_dict(source: str, record: ServiceRecord) -> dict:
    """One service as a data·inclusion object."""
    publics, own_publics = split_publics(record.publics)
    themes = [t for t in dict.fromkeys(record.themes) if reference.is_di_theme(t)]
    modes_accueil = [m for m, on in (("en-presentiel", record.in_person), ("a-distance", record.remote)) if on]
    modes_mobilisation = _mobilisation(record)
    return {
        "source": source,
        "id": make_id(source, record.local_id),
        "structure_id": make_id(source, record.structure_local_id),
        "nom": record.name.strip(),
        "description": record.description.strip(),
        "date_maj": record.updated_on.isoformat(),
        "type": record.kind or None,
        "thematiques": sorted(themes) or None,
        "publics": publics or None,
        "publics_precisions": ("Publics visés : " + ", ".join(p[:1].lower() + p[1:] for p in own_publics) + ".")
        if own_publics
        else None,
        "frais": "gratuit" if record.free else "payant",
        "frais_precisions": None if record.free else _text(record.fee_details),
        "conditions_acces": _text(record.conditions),
        **_place_fields(record.place),
        "complement_adresse": None,
        "modes_accueil": modes_accueil or None,
        "modes_mobilisation": modes_mobilisation or None,
        "mobilisable_par": ["professionnels"] if record.referral_only else ["professionnels", "usagers"],
        "mobilisation_precisions": _text(record.how_to_access),
        "lien_mobilisation": _text(record.link),
        "lien_source": None,
        "telephone": e164(record.phone),
        "courriel": _text(record.email),
        "contact_nom_prenom": None,
        "horaires_accueil": opening_hours(record.hours),
        "zone_eligibilite": sorted(set(record.zone)) or None,
        "nombre_semaines": None,
        "volume_horaire_hebdomadaire": None,
    }


def export_catalogue(
    source: str, structures: Sequence[StructureRecord], services: Sequence[ServiceRecord]
) -> tuple[list[dict], list[dict]]:
    """The structures and the services as data·inclusion objects, each list sorted by id.

    Raises ``ValueError`` when a service names a structure that is not exported, or when two records
    share an id: the consumers would reject the whole file.
    """
    structure_ids = [s.local_id for s in structures]
    if len(set(structure_ids)) != len(structure_ids):
        raise ValueError("Expected unique structure ids.")
    service_ids = [s.local_id for s in services]
    if len(set(service_ids)) != len(service_ids):
        raise ValueError("Expected unique service ids.")
    if missing := sorted({s.structure_local_id for s in services} - set(structure_ids)):
        raise ValueError(f"Services name structures that are not exported: {', '.join(missing)}.")
    return (
        sorted((structure_dict(source, s) for s in structures), key=lambda d: d["id"]),
        sorted((service_dict(source, s) for s in services), key=lambda d: d["id"]),
    )
