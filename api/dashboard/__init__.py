"""The dashboard: server-rendered pages over the same reports as the API.

Pages are HTML rendered with Jinja2 from the structs the API answers with, so every figure on
screen is the API's own string; charts are inline SVG drawn here; a small script listens to
the event stream and re-renders the figures in place. Nothing is loaded from outside.

``routes`` (the controller) reads the query string with ``params``, gathers a page in
``pages`` from the API's presenters and the view-models (``cards``, ``breakdowns``,
``timeline``, ``audit``, drawn with ``charts`` and worded with ``format``), and renders it
with ``rendering``; ``page_cache`` shares a rendered portfolio page between readers.
"""

from api.dashboard.routes import DashboardController, static_files_router

__all__ = ["DashboardController", "static_files_router"]
