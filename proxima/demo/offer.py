"""The demo's offer: partners of the kinds a rural landlord works with, their agreements, a catalogue, a bundle.

Every name says it is fictitious; the communes, the France services network and the data·inclusion
reference lists are real. Everything goes through the offer's services, as in real use. Dates are counted
from the demo's day (the first of the month), so the demo is the same when rebuilt within the month, and
one agreement is always within its alert window. Rebuilding the demo changes nothing once the bundle exists.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count

from proxima.accounts.models import Organisation
from proxima.agency.enums import StopKind
from proxima.agency.models import Stop
from proxima.billing.enums import BillingMode
from proxima.demo import billing as billing_demo
from proxima.households.models import Household
from proxima.offer import services
from proxima.offer.enums import OperatingMode, PartnerKind, Renewal, ServiceStatus
from proxima.offer.models import Bundle, Partner, Service
from proxima.territory.models import Commune, Site

BUNDLE_NAME = "Jeunes locataires en impayé (démo)"


@dataclass
class OfferDemoResult:
    partners: list[Partner]
    services: list[Service]
    bundle: Bundle


# name, kind, networks, themes, account slug (the demo's partner organisations), description
PARTNERS = [
    (
        "Lien Seniors Berry (association fictive, démo)",
        PartnerKind.ASSOCIATION,
        [],
        ["remobilisation--lien-social", "famille--soutien-aidants"],
        "demo-lien-seniors",
        "Bénévoles qui appellent et visitent les personnes âgées isolées.",
    ),
    (
        "CCAS intercommunal (organisme fictif, démo)",
        PartnerKind.COMMUNE,
        ["ccas-cias"],
        [
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
            "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        ],
        "demo-ccas",
        "Centre intercommunal d'action sociale : aides, démarches, accompagnement budgétaire.",
    ),
    (
        "Mobilité Solidaire (entreprise fictive, démo)",
        PartnerKind.COMPANY,
        [],
        ["mobilite--mobilite-douce-partagee-collective", "mobilite--acceder-a-un-vehicule"],
        "demo-mobilite",
        "Transport à la demande et location solidaire de deux-roues.",
    ),
    (
        "Numérique pour tous en Berry (association fictive, démo)",
        PartnerKind.ASSOCIATION,
        ["conseillers-numeriques"],
        ["numerique--maitriser-les-fondamentaux-du-numerique", "numerique--acquerir-un-equipement"],
        "",
        "Conseillers numériques : ateliers, aide en ligne, ordinateurs reconditionnés.",
    ),
    (
        "Meubles Solidaires du Berry (ressourcerie fictive, démo)",
        PartnerKind.ASSOCIATION,
        ["ressourceries"],
        ["bailleur--ameublement", "equipement-et-alimentation--electromenager"],
        "",
        "Ressourcerie : meubles et électroménager de réemploi, livrés et installés.",
    ),
    (
        "Box Solidaire (fournisseur d'accès fictif, démo)",
        PartnerKind.COMPANY,
        [],
        ["numerique--acceder-a-une-connexion-internet"],
        "",
        "Accès Internet à tarif négocié pour les résidences du bailleur.",
    ),
    (
        "Mission locale du Berry (fictive, démo)",
        PartnerKind.ASSOCIATION,
        ["mission-locale"],
        ["trouver-un-emploi--repondre-a-des-offres-demploi", "choisir-un-metier--connaitre-les-opportunites-demploi"],
        "",
        "Accompagnement des 16-25 ans vers l'emploi et la formation.",
    ),
]


def _service_specs(partners: dict[str, Partner], depot: Site, stops: list[Stop], france_services: Stop | None):
    """The catalogue: (values, themes, publics, hours, sites, stops) of each service."""
    p = partners
    tue_thu = [(1, dt.time(14), dt.time(17)), (3, dt.time(14), dt.time(17))]
    weekdays_morning = [(d, dt.time(9), dt.time(12)) for d in range(5)]
    return [
        (
            {
                "name": "Appels de convivialité (démo)",
                "description": "Un bénévole appelle chaque semaine une personne âgée qui vit seule, pour prendre des "
                "nouvelles et garder le lien.",
                "kind": "accompagnement",
                "partner": p["demo-lien-seniors"],
                "operating_mode": OperatingMode.FACILITATOR,
                "remote": True,
                "in_person": False,
                "referral_only": True,
                "how_to_access": "Sur orientation du bailleur, avec l'accord de la personne.",
                "capacity": 40,
            },
            ["remobilisation--lien-social"],
            ["seniors", "personnes-agees-isolees"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Aide aux démarches administratives (démo)",
                "description": "Une travailleuse sociale aide à constituer les dossiers CAF, retraite, santé et "
                "logement, sur rendez-vous.",
                "kind": "accompagnement",
                "partner": p["demo-ccas"],
                "operating_mode": OperatingMode.FACILITATOR,
                "how_to_access": "Prendre rendez-vous par téléphone ou à l'agence mobile.",
                "contact_phone": "02 54 00 00 10",
            },
            ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
            ["tous-publics"],
            weekdays_morning,
            [],
            [],
        ),
        (
            {
                "name": "Accompagnement budgétaire (démo)",
                "description": "Faire le point sur son budget, ses dettes et ses droits avec une conseillère, pour "
                "éviter que les impayés ne s'aggravent.",
                "kind": "accompagnement",
                "partner": p["demo-ccas"],
                "operating_mode": OperatingMode.FACILITATOR,
                "referral_only": True,
                "capacity": 25,
            },
            [
                "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
                "logement-hebergement--reduire-les-impayes-de-loyer",
            ],
            ["locataires-hlm"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Transport solidaire à la demande (démo)",
                "description": "Un chauffeur conduit aux courses, chez le médecin ou à la gare les habitants sans "
                "voiture, sur réservation la veille.",
                "kind": "aide-materielle",
                "partner": p["demo-mobilite"],
                "operating_mode": OperatingMode.COORDINATOR,
                "billing_mode": BillingMode.PAID_TO_PARTNER,
                "price": Decimal("2.00"),
                "price_details": "par trajet",
                "contact_phone": "02 54 00 00 20",
            },
            ["mobilite--mobilite-douce-partagee-collective"],
            ["seniors", "locataires-hlm"],
            weekdays_morning,
            [],
            [],
        ),
        (
            {
                "name": "Ateliers numériques à l'agence mobile (démo)",
                "description": "Apprendre à se servir d'un smartphone, d'une tablette et des services en ligne, en "
                "petit groupe, au pied de sa résidence.",
                "kind": "atelier",
                "partner": p["Numérique pour tous en Berry (association fictive, démo)"],
                "operating_mode": OperatingMode.COORDINATOR,
                "capacity": 8,
            },
            ["numerique--maitriser-les-fondamentaux-du-numerique", "numerique--acceder-a-des-services-en-ligne"],
            ["tous-publics"],
            [],
            [],
            stops[:4],
        ),
        (
            {
                "name": "Ordinateurs reconditionnés à prix solidaire (démo)",
                "description": "Un ordinateur portable reconditionné, garanti un an, avec une heure de prise en main.",
                "kind": "aide-materielle",
                "partner": p["Numérique pour tous en Berry (association fictive, démo)"],
                "operating_mode": OperatingMode.FACILITATOR,
                "billing_mode": BillingMode.PAID_TO_PARTNER,
                "price": Decimal("60.00"),
            },
            ["numerique--acquerir-un-equipement"],
            ["beneficiaires-des-minimas-sociaux", "jeunes", "seniors"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Pack mobilier jeunes locataires (démo)",
                "description": "Lit, table, chaises et électroménager de réemploi livrés et installés à l'entrée "
                "dans le logement.",
                "kind": "aide-materielle",
                "partner": p["Meubles Solidaires du Berry (ressourcerie fictive, démo)"],
                "operating_mode": OperatingMode.COORDINATOR,
                "billing_mode": BillingMode.PAID_TO_PARTNER,
                "price": Decimal("50.00"),
                "price_details": "le pack, le reste pris en charge par le bailleur",
                "capacity": 30,
            },
            ["bailleur--ameublement", "equipement-et-alimentation--electromenager"],
            ["jeunes", "locataires-hlm"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Wi-Fi à tarif négocié (démo)",
                "description": "Une connexion Internet dans le logement, au tarif négocié par le bailleur, payée "
                "avec les charges.",
                "kind": "aide-materielle",
                "partner": p["Box Solidaire (fournisseur d'accès fictif, démo)"],
                "operating_mode": OperatingMode.COORDINATOR,
                "billing_mode": BillingMode.COLLECTIVE_AGREEMENT,
                "price": Decimal("9.90"),
                "price_details": "par mois, avec les charges (accord collectif)",
            },
            ["numerique--acceder-a-une-connexion-internet"],
            ["locataires-hlm"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Offres d'emploi et accompagnement des jeunes (démo)",
                "description": "Un conseiller aide les 16-25 ans à trouver un emploi, une formation ou un contrat "
                "d'apprentissage.",
                "kind": "accompagnement",
                "partner": p["Mission locale du Berry (fictive, démo)"],
                "operating_mode": OperatingMode.FACILITATOR,
                "link": "https://www.mission-locale.fr",
            },
            ["trouver-un-emploi--repondre-a-des-offres-demploi"],
            ["jeunes"],
            tue_thu,
            [],
            [],
        ),
        (
            {
                "name": "Conciergerie solidaire (démo)",
                "description": "Dépôt de pain, point colis et prêt d'outils, ouverts à tous les habitants du "
                "quartier, locataires ou non.",
                "kind": "aide-materielle",
                "operating_mode": OperatingMode.OPERATOR,
                "address": depot.address,
                "address_commune": depot.commune,
            },
            ["bailleur--conciergerie", "bailleur--pret-objets", "remobilisation--lien-social"],
            ["tous-publics"],
            [(d, dt.time(8), dt.time(12)) for d in range(6)],
            [depot],
            [],
        ),
        (
            {
                "name": "Colocation pour les moins de 30 ans (démo)",
                "description": "Des grands logements proposés en colocation, avec un bail par colocataire.",
                "kind": "information",
                "operating_mode": OperatingMode.OPERATOR,
                "billing_mode": BillingMode.FREE,
            },
            ["bailleur--colocation", "logement-hebergement--louer-un-logement"],
            ["jeunes", "etudiants"],
            [],
            [],
            [],
        ),
        (
            {
                "name": "Permanence France services à l'agence mobile (démo)",
                "description": "Les agents France services tiennent une permanence commune avec le bus : impôts, "
                "retraite, CAF, santé, carte grise.",
                "kind": "accompagnement",
                "partner": p["CCAS intercommunal (organisme fictif, démo)"],
                "operating_mode": OperatingMode.FACILITATOR,
                "status": ServiceStatus.DRAFT,
            },
            ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"],
            ["tous-publics"],
            [],
            [],
            [france_services] if france_services else [],
        ),
    ]


def _depot(organisation) -> Site:
    """The site in the commune with the most households (the agency's, as in proxima.demo.agency)."""
    busiest = (
        Household.objects.for_organisation(organisation)
        .values("dwelling__building__site__commune")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "dwelling__building__site__commune")
        .first()
    )
    sites = Site.objects.for_organisation(organisation).select_related("commune").order_by("reference")
    if busiest is not None:
        sites = sites.filter(commune_id=busiest["dwelling__building__site__commune"])
    return sites.first()


@transaction.atomic
def build_offer_demo(organisation, *, today: dt.date) -> OfferDemoResult:
    """Build the demo's partners, agreements, catalogue and bundle once; return them."""
    existing = Bundle.objects.filter(organisation=organisation, name=BUNDLE_NAME).first()
    if existing is not None:
        partners = list(Partner.objects.for_organisation(organisation))
        return OfferDemoResult(partners, list(Service.objects.for_organisation(organisation)), existing)
    communes = list(
        Commune.objects.filter(pk__in=Site.objects.for_organisation(organisation).values("commune")).order_by("code")
    )
    accounts = {o.slug: o for o in Organisation.objects.filter(slug__in=[spec[4] for spec in PARTNERS if spec[4]])}
    partners: dict[str, Partner] = {}
    for name, kind, networks, themes, account_slug, description in PARTNERS:
        partner = Partner.objects.for_organisation(organisation).filter(name=name).first()
        if partner is None:
            partner = services.create_partner(
                organisation=organisation,
                values={
                    "name": name,
                    "kind": kind,
                    "networks": networks,
                    "description": description,
                    "account": accounts.get(account_slug),
                    "commune": communes[0] if communes else None,
                    "phone": "02 54 00 00 00",  # fictitious, like every demo datum
                    "email": f"contact-{len(partners) + 1}@partenaire-demo.invalid",
                },
                themes=themes,
                communes=communes,
            )
            services.save_partner_contacts(
                partner=partner, contacts=[{"name": "Contact de démonstration", "role": "Coordination"}]
            )
        partners[name] = partner
        if account_slug:
            partners[account_slug] = partner
    _agreements(partners, today)
    depot = _depot(organisation)
    stops = list(
        Stop.objects.for_organisation(organisation).filter(kind=StopKind.SITE, is_active=True).order_by("name", "pk")
    )
    france_services = Stop.objects.for_organisation(organisation).filter(kind=StopKind.FRANCE_SERVICES).first()
    # The Wi-Fi is billed under a collective agreement: the billing framework checks it when it is created.
    billing = {billing_demo.WIFI_CATALOGUE_NAME: billing_demo.wifi_billing(organisation, today)}
    catalogue = []
    for values, themes, publics, hours, sites, service_stops in _service_specs(
        partners, depot, stops, france_services
    ):
        service = Service.objects.for_organisation(organisation).filter(name=values["name"]).first()
        if service is None:
            service = services.create_service(
                organisation=organisation,
                values={"status": ServiceStatus.ACTIVE, "start_date": today - dt.timedelta(days=365), **values},
                themes=themes,
                publics=publics,
                hours=hours,
                sites=sites,
                communes=communes,
                stops=service_stops,
                billing=billing.get(values["name"]),
                today=today,
            )
        catalogue.append(service)
    by_name = {s.name: s for s in catalogue}
    bundle = services.create_bundle(
        organisation=organisation,
        values={
            "name": BUNDLE_NAME,
            "description": "Les jeunes locataires qui ont du retard de loyer : un coup de pouce pour s'installer, "
            "gérer son budget et trouver un emploi, avant que la dette ne grossisse.",
            "holder_age_max": 29,
            "arrears_min_amount": Decimal("0.01"),
        },
        services=[
            by_name[name]
            for name in (
                "Aide aux démarches administratives (démo)",
                "Accompagnement budgétaire (démo)",
                "Pack mobilier jeunes locataires (démo)",
                "Wi-Fi à tarif négocié (démo)",
                "Offres d'emploi et accompagnement des jeunes (démo)",
                "Colocation pour les moins de 30 ans (démo)",
            )
        ],
    )
    return OfferDemoResult(list(dict.fromkeys(partners.values())), catalogue, bundle)


def _agreements(partners: dict[str, Partner], today: dt.date) -> None:
    """Three agreements; Lien Seniors' ends in 45 days, within its 90-day alert window."""
    specs = [
        (
            "demo-lien-seniors",
            {
                "object": "Appels et visites de convivialité aux locataires âgés isolés",
                "start_date": today - dt.timedelta(days=730),
                "end_date": today + dt.timedelta(days=45),
                "renewal": Renewal.EXPLICIT,
                "alert_days": 90,
                "amount": Decimal("6000.00"),
                "amount_details": "Subvention de fonctionnement ; bénévoles formés par l'association.",
            },
        ),
        (
            "demo-ccas",
            {
                "object": "Permanences d'accès aux droits et accompagnement budgétaire",
                "start_date": today - dt.timedelta(days=365),
                "end_date": today + dt.timedelta(days=3 * 365),
                "renewal": Renewal.TACIT,
                "alert_days": 120,
                "amount_details": "Sans contrepartie financière : locaux de l'agence mis à disposition.",
            },
        ),
        (
            "Meubles Solidaires du Berry (ressourcerie fictive, démo)",
            {
                "object": "Packs mobilier pour les jeunes locataires",
                "start_date": today - dt.timedelta(days=180),
                "end_date": today + dt.timedelta(days=185),
                "renewal": Renewal.NONE,
                "alert_days": 60,
                "amount": Decimal("12000.00"),
                "amount_details": "Achat de 30 packs à 400 € ; 50 € restent à la charge du locataire.",
            },
        ),
    ]
    for key, values in specs:
        partner = partners[key]
        if not partner.agreements.filter(object=values["object"]).exists():
            services.create_agreement(partner=partner, values=values)
