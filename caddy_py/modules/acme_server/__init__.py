"""Caddy module acme_server (http.handlers.acme_server): Caddyfile parser in caddyfile.py."""
