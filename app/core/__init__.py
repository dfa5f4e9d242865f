"""The kernel: what every domain and the web layer may use; it imports no domain and no web."""
