"""The ``proxima`` command: Django's management commands under one name.

``proxima plan-tour`` and ``proxima plan_tour`` are the same command: hyphens in
the first word are read as underscores, so commands read like the documentation.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proxima.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["proxima", *argv[1:]])


if __name__ == "__main__":
    main()
