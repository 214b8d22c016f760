"""Proxima: services de proximité des bailleurs sociaux en territoires détendus."""
