"""`AsyncClient` (shushang_sdk.resources) and `Client`, its blocking twin (shushang_sdk._sync,
generated from it): one API key, one base URL, every resource, the same methods."""

from shushang_sdk._sync import Client
from shushang_sdk.resources import DEFAULT_URL, AsyncClient

__all__ = ["DEFAULT_URL", "AsyncClient", "Client"]
