"""The legal framework for billing a service to tenants: which billing mode a service may use, and when.

Pure module: nothing imported from Django, frozen dataclasses in and out, ``today`` passed in.
The same checks run when staff set a service's billing (``check_service_billing``) and when a
household is billed for a period (``check_household_billing``): each refusal names the rule
broken and its legal reference, so the message shown to staff can be checked against the text.

Where the legal fact is uncertain, the rule is configurable and says so (« règle paramétrable :
à vérifier »): an entry of the list marked ``to_verify`` is refused until staff confirm, on the
service, that they have checked it; the warning stays on every check afterwards.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

DEFAULT_CHARGE_LIST = Path(__file__).resolve().parent / "data" / "recoverable_charges.json"

TO_VERIFY = "règle paramétrable : à vérifier"


class Mode(StrEnum):
    """How the resident pays for a service (codes shared with ``billing.enums.BillingMode``)."""

    FREE = "free"
    RECOVERABLE_CHARGE = "recoverable_charge"
    COLLECTIVE_AGREEMENT = "collective_agreement"
    SUBSCRIPTION = "subscription"
    PAID_TO_PARTNER = "paid_to_partner"


# Modes under which the landlord puts an amount on the household's account.
BILLED_BY_LANDLORD = frozenset({Mode.RECOVERABLE_CHARGE, Mode.COLLECTIVE_AGREEMENT, Mode.SUBSCRIPTION})


@dataclass(frozen=True)
class Rule:
    """A rule of the framework, with the text it comes from."""

    code: str
    title: str
    reference: str
    source_url: str
    to_verify: bool = False


DECREE_URL = "https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000701663"
CCH_URL = "https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000006074096"
# No stable identifier checked for this law: a search on Légifrance, to be replaced by the text's own address.
LAW_86_1290_URL = "https://www.legifrance.gouv.fr/search/all?query=loi+n%C2%B0+86-1290+du+23+d%C3%A9cembre+1986"
CIVIL_CODE_URL = "https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000006070721"

RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "charge_on_list",
            "Une charge récupérable doit figurer sur la liste légale des charges récupérables.",
            "Article L. 442-3 du code de la construction et de l'habitation ; décret n° 82-955 du 9 novembre 1982, "
            "annexe",
            DECREE_URL,
        ),
        Rule(
            "charge_to_verify",
            "Ce poste de la liste est à vérifier sur le texte en vigueur avant d'être facturé.",
            "Décret n° 82-955 du 9 novembre 1982",
            DECREE_URL,
            to_verify=True,
        ),
        Rule(
            "agreement_required",
            "Un service facturé par accord collectif doit être rattaché à un accord (référence, date, résidences).",
            "Loi n° 86-1290 du 23 décembre 1986, article 42 (accords collectifs locaux)",
            LAW_86_1290_URL,
            to_verify=True,
        ),
        Rule(
            "agreement_in_force",
            "L'accord collectif doit être en vigueur sur la période facturée.",
            "Loi n° 86-1290 du 23 décembre 1986, article 42 (accords collectifs locaux)",
            LAW_86_1290_URL,
            to_verify=True,
        ),
        Rule(
            "agreement_covers_site",
            "L'accord collectif doit couvrir la résidence du ménage.",
            "Loi n° 86-1290 du 23 décembre 1986, article 42 (accords collectifs locaux)",
            LAW_86_1290_URL,
            to_verify=True,
        ),
        Rule(
            "subscription_consent",
            "Un abonnement facultatif ne peut être facturé qu'avec le consentement enregistré du ménage "
            "(date et canal), valable sur la période facturée.",
            "Code civil, articles 1113 et 1128 (un contrat se forme par le consentement des parties)",
            CIVIL_CODE_URL,
            to_verify=True,
        ),
        Rule(
            "not_billed_by_landlord",
            "Un service gratuit ou payé directement au partenaire n'est pas facturé par le bailleur.",
            "Article L. 442-3 du code de la construction et de l'habitation (seules les charges prévues sont "
            "exigibles)",
            CCH_URL,
        ),
    )
}


@dataclass(frozen=True)
class RecoverableCharge:
    """One entry of the legal list (annex of décret n° 82-955) with its heading (I to VIII)."""

    code: str
    heading: str
    heading_label: str
    label: str
    reference: str
    to_verify: bool = False
    note: str = ""


@dataclass(frozen=True)
class ChargeList:
    """The list of recoverable charges as shipped, with where it comes from and when it was checked."""

    title: str
    source_url: str
    checked_on: dt.date
    checked_against: str
    headings: Mapping[str, str]
    entries: tuple[RecoverableCharge, ...]

    def get(self, code: str) -> RecoverableCharge | None:
        return next((entry for entry in self.entries if entry.code == code), None)


def load_charge_list(path: Path = DEFAULT_CHARGE_LIST) -> ChargeList:
    """Read the shipped list (``data/recoverable_charges.json``); a malformed file raises ``ValueError``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    headings = data["headings"]
    entries = []
    for raw in data["entries"]:
        if raw["heading"] not in headings:
            raise ValueError(f"Expected a heading among {sorted(headings)} for entry {raw['code']!r}.")
        entries.append(
            RecoverableCharge(
                code=raw["code"],
                heading=raw["heading"],
                heading_label=headings[raw["heading"]],
                label=raw["label"],
                reference=raw["reference"],
                to_verify=bool(raw.get("to_verify", False)),
                note=raw.get("note", ""),
            )
        )
    codes = [entry.code for entry in entries]
    if len(set(codes)) != len(codes):
        raise ValueError("Expected unique entry codes in the list of recoverable charges.")
    return ChargeList(
        title=data["title"],
        source_url=data["source_url"],
        checked_on=dt.date.fromisoformat(data["checked_on"]),
        checked_against=data["checked_against"],
        headings=headings,
        entries=tuple(entries),
    )


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("Expected end >= start.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def intersect(self, start: dt.date, end: dt.date | None) -> "Period | None":
        """The days of this period within ``start``..``end`` (``end`` None: open-ended), or None."""
        lo = max(self.start, start)
        hi = self.end if end is None else min(self.end, end)
        return Period(lo, hi) if lo <= hi else None


@dataclass(frozen=True)
class Agreement:
    """An accord collectif: its reference, signature date, validity and the sites it covers."""

    id: int
    reference: str
    signed_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    site_ids: frozenset[int]


@dataclass(frozen=True)
class ConsentRecord:
    """A household's recorded consent to an optional subscription: when, through which channel, until when."""

    given_on: dt.date
    channel: str
    withdrawn_on: dt.date | None = None


@dataclass(frozen=True)
class ServiceBilling:
    """How a service is billed: its mode, the list entry (recoverable charge) or the agreement it rests on."""

    mode: Mode
    cost_code: str = ""
    agreement: Agreement | None = None
    to_verify_confirmed: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why billing is refused: the rule, a French sentence saying what is wrong, and the reference."""

    rule: str
    message: str
    reference: str
    source_url: str

    def __str__(self):
        return f"{self.message} ({self.reference})"


@dataclass(frozen=True)
class Check:
    """The outcome of a check: refusals (nothing may be billed) and warnings (billed, but to verify)."""

    refusals: tuple[Refusal, ...] = ()
    warnings: tuple[Refusal, ...] = ()
    billed: Period | None = field(default=None)

    @property
    def ok(self) -> bool:
        return not self.refusals


def _refusal(code: str, detail: str) -> Refusal:
    rule = RULES[code]
    message = f"{rule.title} {detail}".strip()
    if rule.to_verify:
        message = f"{message} ({TO_VERIFY})"
    return Refusal(rule=code, message=message, reference=rule.reference, source_url=rule.source_url)


def _charge_checks(billing: ServiceBilling, charge_list: ChargeList) -> tuple[list[Refusal], list[Refusal]]:
    entry = charge_list.get(billing.cost_code) if billing.cost_code else None
    if entry is None:
        what = f"« {billing.cost_code} »" if billing.cost_code else "Aucun poste choisi"
        detail = f"{what} n'est pas un poste de la liste." if billing.cost_code else f"{what}."
        return [_refusal("charge_on_list", detail)], []
    if entry.to_verify:
        detail = f"Poste « {entry.label} » ({entry.reference}). {entry.note}".strip()
        refusal = _refusal("charge_to_verify", detail)
        if billing.to_verify_confirmed:
            return [], [refusal]
        return [refusal], []
    return [], []


def _fmt(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def check_service_billing(billing: ServiceBilling, *, charge_list: ChargeList, today: dt.date) -> Check:
    """Check a service's billing mode when staff set it.

    Parameters
    ----------
    billing
        The mode and what it rests on (list entry, agreement).
    charge_list
        The legal list of recoverable charges.
    today
        The day of the check: an agreement that has already ended cannot be chosen.

    Returns
    -------
    Check
        Refusals if the mode cannot be used, warnings if it can but rests on a rule to verify.
    """
    refusals: list[Refusal] = []
    warnings: list[Refusal] = []
    if billing.mode == Mode.RECOVERABLE_CHARGE:
        refusals, warnings = _charge_checks(billing, charge_list)
    elif billing.mode == Mode.COLLECTIVE_AGREEMENT:
        agreement = billing.agreement
        if agreement is None:
            refusals.append(_refusal("agreement_required", "Aucun accord choisi."))
        elif agreement.valid_until is not None and agreement.valid_until < today:
            refusals.append(
                _refusal(
                    "agreement_in_force",
                    f"L'accord « {agreement.reference} » a pris fin le {_fmt(agreement.valid_until)}.",
                )
            )
        elif not agreement.site_ids:
            refusals.append(
                _refusal("agreement_covers_site", f"L'accord « {agreement.reference} » ne couvre aucune résidence.")
            )
        else:
            warnings.append(_refusal("agreement_required", f"Accord « {agreement.reference} »."))
    elif billing.mode == Mode.SUBSCRIPTION:
        warnings.append(_refusal("subscription_consent", "Chaque ménage abonné doit avoir donné son accord."))
    return Check(refusals=tuple(refusals), warnings=tuple(warnings))


def check_household_billing(
    billing: ServiceBilling,
    *,
    period: Period,
    site_id: int,
    consent: ConsentRecord | None,
    charge_list: ChargeList,
) -> Check:
    """Check that a household may be billed for a service over ``period`` (the days it occupied its dwelling).

    Parameters
    ----------
    billing
        The service's billing mode.
    period
        The days of the month the household occupied its dwelling.
    site_id
        The household's site, which a collective agreement must cover.
    consent
        The household's consent to the subscription (subscriptions only), or None if none is recorded.
    charge_list
        The legal list of recoverable charges.

    Returns
    -------
    Check
        ``billed`` is the part of ``period`` that may be billed: all of it for a recoverable charge, the days
        the agreement is in force for an agreement, the days the consent runs for a subscription.
    """
    if billing.mode not in BILLED_BY_LANDLORD:
        return Check(refusals=(_refusal("not_billed_by_landlord", ""),))
    if billing.mode == Mode.RECOVERABLE_CHARGE:
        refusals, warnings = _charge_checks(billing, charge_list)
        return Check(tuple(refusals), tuple(warnings), None if refusals else period)
    if billing.mode == Mode.COLLECTIVE_AGREEMENT:
        agreement = billing.agreement
        if agreement is None:
            return Check(refusals=(_refusal("agreement_required", "Aucun accord choisi."),))
        if site_id not in agreement.site_ids:
            detail = f"L'accord « {agreement.reference} » ne couvre pas cette résidence."
            return Check(refusals=(_refusal("agreement_covers_site", detail),))
        billed = period.intersect(agreement.valid_from, agreement.valid_until)
        if billed is None:
            until = f" au {_fmt(agreement.valid_until)}" if agreement.valid_until else ""
            detail = (
                f"L'accord « {agreement.reference} » court du {_fmt(agreement.valid_from)}{until}, "
                f"hors de la période du {_fmt(period.start)} au {_fmt(period.end)}."
            )
            return Check(refusals=(_refusal("agreement_in_force", detail),))
        return Check(billed=billed)
    # Subscription: only the days the consent runs are billed.
    if consent is None:
        return Check(refusals=(_refusal("subscription_consent", "Aucun consentement enregistré."),))
    last = consent.withdrawn_on - dt.timedelta(days=1) if consent.withdrawn_on else None
    billed = period.intersect(consent.given_on, last)
    if billed is None:
        withdrawn = f", retiré le {_fmt(consent.withdrawn_on)}" if consent.withdrawn_on else ""
        detail = (
            f"Consentement donné le {_fmt(consent.given_on)}{withdrawn} : "
            f"pas valable du {_fmt(period.start)} au {_fmt(period.end)}."
        )
        return Check(refusals=(_refusal("subscription_consent", detail),))
    return Check(billed=billed)
