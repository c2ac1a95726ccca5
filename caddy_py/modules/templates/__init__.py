"""Caddy module templates: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
