"""file_server: Caddy's `http.handlers.file_server` runtime (static files, browse listings)."""
