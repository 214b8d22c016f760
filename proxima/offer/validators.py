from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from proxima.offer import reference

# La Poste's establishments share one SIREN whose SIRETs do not follow the Luhn key: INSEE checks that
# the sum of their digits is a multiple of 5 instead (the head office's passes both).
LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (the key of SIREN and SIRET numbers)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_ok(siret: str) -> bool:
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0 or luhn_ok(siret)
    return luhn_ok(siret)


def validate_siret(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) != 14:
        raise ValidationError(
            _("Le SIRET compte 14 chiffres, sans espace ni lettre (« %(value)s »)."), params={"value": value}
        )
    if not siret_ok(value):
        raise ValidationError(
            _(
                "Le SIRET « %(value)s » n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez les chiffres."
            ),
            params={"value": value},
        )


def validate_networks(value) -> None:
    """A list of data·inclusion "réseaux porteurs" codes."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Les réseaux doivent être une liste de codes."))
    if unknown := sorted(set(value) - set(reference.di_values("reseaux-porteurs"))):
        raise ValidationError(_("Réseau inconnu : %(codes)s."), params={"codes": ", ".join(unknown)})
