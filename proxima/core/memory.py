import contextlib
import gc


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many objects at once (an import, a page's analysis).

    Such work allocates hundreds of thousands of short-lived objects with no reference cycles while
    holding large tables of references: each automatic collection would scan those tables again, for
    nothing. Reference counting still frees memory as usual. Usable as a decorator too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
