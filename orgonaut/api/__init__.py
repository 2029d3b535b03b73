"""The REST API (FastAPI) mounted into the Reflex app under /api/v1, and its Bearer tokens.

Importing this package imports nothing heavy: the app lives in `orgonaut.api.app`.
"""
