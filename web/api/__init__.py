"""The HTTP API: routers, their request/response schemas, dependencies and the error mapping."""
