"""The desk: newsdesk's web app and JSON API (`create_app`, `serve`)."""

from newsdesk.web.app import create_app, serve

__all__ = ["create_app", "serve"]
