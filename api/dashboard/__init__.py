"""The dashboard: server-rendered pages over the same reports as the API.

Pages are HTML rendered with Jinja2 from the structs the API answers with, so every figure on
screen is the API's own string; charts are inline SVG drawn here; a small script listens to
the event stream and re-renders the figures in place. Nothing is loaded from outside.
"""

from api.dashboard.routes import DashboardController, static_files_router

__all__ = ["DashboardController", "static_files_router"]
