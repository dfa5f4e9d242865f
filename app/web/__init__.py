"""The web layer: middleware, routing, replica routing, deps, CORS, docs, streaming and the
problem handlers will move here (issue 28, docs/architecture.md when it is written).

For now it holds only `_fastapi_compat`, the one module that touches FastAPI's and
Starlette's private parts.
"""
