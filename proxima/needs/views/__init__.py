"""Views of the needs app, one module per area: each module also declares its URL patterns."""
