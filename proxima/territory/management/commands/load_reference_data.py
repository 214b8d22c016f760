from django.core.management.base import BaseCommand

from proxima.territory.reference import load_reference_data


class Command(BaseCommand):
    help = "Charge les données de référence (communes 2026, zonage ABC 2025, France services). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recharger même si les fichiers n'ont pas changé.")

    def handle(self, *args, force=False, **options):
        counts = load_reference_data(force=force)
        if not counts:
            self.stdout.write("Données de référence déjà à jour.")
            return
        for table, n in counts.items():
            self.stdout.write(f"{table} : {n} lignes")
