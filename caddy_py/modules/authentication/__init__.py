"""Caddy module authentication: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
