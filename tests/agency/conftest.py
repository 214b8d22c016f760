# The live-server (browser) tests flush every table: reload the reference data after them, as tests/needs does.
from tests.needs.conftest import pytest_runtest_teardown  # noqa: F401
