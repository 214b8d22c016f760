import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sert Proxima (gunicorn) avec un processus de tâches de fond (imports), jusqu'à Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, addrport, workers, **options):
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "proxima.settings",
            "PROXIMA_VAR_DIR": str(settings.VAR_DIR),
        }
        worker = subprocess.Popen([sys.executable, "-m", "proxima.cli", "db_worker"], env=env)
        self.stdout.write(f"Proxima : http://{addrport}/  (Ctrl-C pour arrêter)")
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "proxima.wsgi:application",
                    "--bind",
                    addrport,
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                ],
                env=env,
                check=False,
            )
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            worker.wait(timeout=10)
