"""encode: Caddy's `http.handlers.encode` and the `http.encoders.*` (gzip, zstd, br) runtime."""
