"""ASGI entry point for uvicorn and other servers: ``uvicorn web.asgi:app``."""

import gc

from web.app import create_app

app = create_app()

# What exists now lives as long as the process (modules, models, the app): out of the cyclic collector's
# full passes, which otherwise walk these ~170,000 objects every few large answers (~100 ms each; a
# /map/cases answer of 4,000 cases makes enough short-lived objects to set one off). Objects freed by
# their reference count are freed as before; only cycles among these would stay.
gc.freeze()
