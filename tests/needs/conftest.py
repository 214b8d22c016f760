import pytest
from pytest_django.plugin import blocking_manager_key


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Reload the reference data after a live-server test, whose transactional teardown flushed every table.

    tests/conftest.py loads the communes once per session; the tests that run after a transactional one
    (the factories look up a commune) need them back. Done here, after the fixtures' teardown and its flush.
    """
    result = yield
    # After the last test the test database is already gone: nothing to reload.
    if nextitem is not None and "live_server" in getattr(item, "fixturenames", ()):
        from proxima.territory.reference import load_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            load_reference_data()
    return result
