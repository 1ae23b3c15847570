"""Domain and report objects to response bodies, one module per kind of thing.

Controllers (``api/routes``) and the dashboard's pages (``api/dashboard``) present through these
functions alone, so a figure reads the same on every page and in every answer.
"""
