"""What the browser tests share: Debian's Chromium driven by Playwright against the live server.

Chromium is installed by .ci/run (``apt-get install chromium``); Playwright cannot download browsers
on these machines, so it is launched from /usr/bin/chromium. The modules using it import Playwright
with ``pytest.importorskip`` and carry ``needs_chromium``: they are skipped where either is missing.
The ``browser`` fixture (tests/conftest.py) is :func:`chromium`.
"""

import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
)


def chromium():
    """Yield a Chromium browser, then close it."""
    from playwright import sync_api

    # Playwright's sync API keeps an asyncio loop running in this thread, which Django takes for an
    # async context: the ORM calls of the test itself (made between two browser steps) are synchronous.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()


#: Pause before the live server's threads are listed again (seconds): ample for its accepting thread to run.
POLL = 0.6


def close(context, live_server, timeout=10.0):
    """Close the browser ``context``, then wait for the requests it left running on the live server.

    A page can still have a request on its way when the test ends (a sync started by a reload). The
    transactional test's teardown then empties every table with one TRUNCATE, which on PostgreSQL
    deadlocks against that request's reads. The server runs one thread per connection
    (``socketserver.ThreadingMixIn`` keeps them in ``_threads``); closing the context closes the
    connections, so the threads end once their request is answered. A request sent just before the close may
    still wait in the listening socket's backlog: the server's own thread accepts it and starts its request
    thread when it next runs, after the threads were listed. So they are listed again after a pause, until none
    is left.
    """
    context.close()
    deadline = time.monotonic() + timeout
    while True:
        running = [thread for thread in list(live_server.thread.httpd._threads) if thread.is_alive()]
        if not running:
            time.sleep(POLL)  # a request still in the backlog is accepted meanwhile
            if not any(thread.is_alive() for thread in list(live_server.thread.httpd._threads)):
                return
        for thread in running:
            thread.join(max(deadline - time.monotonic(), 0))
        assert time.monotonic() < deadline, f"a live-server request was still running {timeout} s after the test"
