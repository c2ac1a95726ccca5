"""Caddy module request_body: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
