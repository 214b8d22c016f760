"""The catalogue in the data·inclusion schema, from the database: records for :mod:`proxima.offer.data_inclusion`.

Exported: the services open on the day of the export (status "ouvert", dates including the day); the
landlord as a structure, and each partner rendering one of those services.
"""

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from django.utils import timezone

from proxima.billing.enums import BillingMode
from proxima.offer import data_inclusion
from proxima.offer.data_inclusion import Place, ServiceRecord, StructureRecord
from proxima.offer.models import Service

LANDLORD_LOCAL_ID = "bailleur"
STRUCTURES_FILE = "structures.json"
SERVICES_FILE = "services.json"


def default_source(organisation) -> str:
    """The producer id of a landlord's data: ``proxima-<slug>``, stable as long as the slug is."""
    return f"proxima-{organisation.slug}"


def partner_local_id(partner_id: int) -> str:
    return f"partenaire-{partner_id}"


def service_local_id(service_id: int) -> str:
    return f"service-{service_id}"


def _postcode(commune) -> str:
    codes = [c for c in (commune.postcodes or "").split("|") if c]
    return codes[0] if len(codes) == 1 else ""  # a commune with several postcodes: not guessed


def _commune_place(address: str, commune, latitude=None, longitude=None) -> Place:
    if commune is None:
        return Place(address=address)
    return Place(
        address=address,
        commune_code=commune.code,
        commune_name=commune.name,
        postcode=_postcode(commune),
        latitude=latitude,
        longitude=longitude,
    )


def service_place(service: Service) -> Place:
    """Where the service welcomes people: its own address, else its only site or its only stop."""
    if service.address or service.address_commune_id:
        return _commune_place(service.address, service.address_commune)
    sites, stops = list(service.sites.all()), list(service.stops.all())
    if len(sites) == 1 and not stops:
        site = sites[0]
        return _commune_place(site.address, site.commune, site.latitude, site.longitude)
    if len(stops) == 1 and not sites:
        stop = stops[0]
        return _commune_place(stop.address or stop.name, stop.commune, stop.latitude, stop.longitude)
    return Place()


def service_zone(service: Service) -> tuple[str, ...]:
    """The INSEE codes of the communes the service serves: listed, of its sites and stops, of its address."""
    codes = {c.pk for c in service.communes.all()}
    codes |= {s.commune_id for s in service.sites.all()}
    codes |= {s.commune_id for s in service.stops.all()}
    if service.address_commune_id:
        codes.add(service.address_commune_id)
    return tuple(sorted(codes))


def fee_details(service: Service) -> str:
    """The price in words: « Abonnement : 9,90 € par mois »."""
    if service.billing_mode == BillingMode.FREE:
        return ""
    text = str(BillingMode(service.billing_mode).label).capitalize()
    if service.price is not None:
        text += f" : {service.price:.2f} €".replace(".", ",")
    if service.price_details:
        text += f" {service.price_details}"
    return text


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def catalogue_services(organisation, *, today: dt.date):
    return (
        Service.objects.for_organisation(organisation)
        .running_on(today)
        .select_related("partner", "partner__commune", "address_commune")
        .prefetch_related("themes", "publics", "hours", "communes", "sites__commune", "stops__commune")
        .order_by("pk")
    )


def catalogue_records(organisation, *, today: dt.date) -> tuple[list[StructureRecord], list[ServiceRecord]]:
    """The landlord, the partners rendering an open service, and the open services, as plain records."""
    services = list(catalogue_services(organisation, today=today))
    partners = {s.partner.pk: s.partner for s in services if s.partner_id}
    own_dates = [_local_date(s.updated_at) for s in services if not s.partner_id]
    structures = [
        StructureRecord(
            local_id=LANDLORD_LOCAL_ID,
            name=organisation.name,
            updated_on=max(own_dates, default=today),
            description=f"{organisation.name}, bailleur social.",
            siret=organisation.siret if len(organisation.siret) == 14 else "",
        )
    ]
    for partner in sorted(partners.values(), key=lambda p: p.pk):
        structures.append(
            StructureRecord(
                local_id=partner_local_id(partner.pk),
                name=partner.name,
                updated_on=_local_date(partner.updated_at),
                place=_commune_place(partner.address, partner.commune),
                description=partner.description,
                siret=partner.siret,
                phone=partner.phone,
                email=partner.email,
                website=partner.website,
                networks=tuple(partner.networks),
            )
        )
    records = [
        ServiceRecord(
            local_id=service_local_id(s.pk),
            structure_local_id=partner_local_id(s.partner_id) if s.partner_id else LANDLORD_LOCAL_ID,
            name=s.name,
            description=s.description,
            updated_on=_local_date(s.updated_at),
            kind=s.kind,
            themes=tuple(t.code for t in s.themes.all()),
            publics=tuple(p.code for p in s.publics.all()),
            free=s.billing_mode == BillingMode.FREE,
            fee_details=fee_details(s),
            place=service_place(s),
            in_person=s.in_person,
            remote=s.remote,
            referral_only=s.referral_only,
            how_to_access=s.how_to_access,
            conditions=s.conditions,
            phone=s.contact_phone,
            email=s.contact_email,
            link=s.link,
            hours=tuple((h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in s.hours.all()),
            zone=service_zone(s),
        )
        for s in services
    ]
    return structures, records


def export_data_inclusion(organisation, *, today: dt.date, source: str | None = None) -> tuple[list, list]:
    """The landlord's catalogue as data·inclusion objects: ``(structures, services)``."""
    structures, services = catalogue_records(organisation, today=today)
    return data_inclusion.export_catalogue(source or default_source(organisation), structures, services)


def _write_json(path: Path, data) -> None:
    # Written beside the target then renamed: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_data_inclusion(organisation, directory: Path, *, today: dt.date, source: str | None = None):
    """Write ``structures.json`` and ``services.json`` into ``directory`` (created if missing); return both lists."""
    structures, services = export_data_inclusion(organisation, today=today, source=source)
    directory.mkdir(parents=True, exist_ok=True)
    _write_json(directory / STRUCTURES_FILE, structures)
    _write_json(directory / SERVICES_FILE, services)
    return structures, services
