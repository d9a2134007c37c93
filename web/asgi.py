"""ASGI entry point for uvicorn and other servers: ``uvicorn web.asgi:app``."""

from web.app import create_app

app = create_app()
