"""The pure modules import nothing from Django, so they can be tested and benchmarked alone."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "proxima.imports.reading",
    "proxima.imports.schema",
    "proxima.imports.mapping",
    "proxima.demo.generate",
    "proxima.territory.geo",
    "proxima.demo.answers",
    "proxima.needs.expressions",
    "proxima.needs.weighting",
    "proxima.needs.xlsform",
    "proxima.needs.validation",
    "proxima.needs.outreach",
    "proxima.agency.planning",
    "proxima.agency.demand",
    "proxima.agency.travel",
    "proxima.agency.horizon",
    "proxima.offer.reference",
    "proxima.offer.targeting",
    "proxima.offer.data_inclusion",
    "proxima.outreach.schedule",
    "proxima.funding.matching",
    "proxima.concierge.rules",
    "proxima.billing.rules",
    "proxima.billing.amounts",
    "proxima.offer.gaps",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_imports_no_django(module):
    code = f"import sys, {module}; sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0, f"{module} imports Django"
