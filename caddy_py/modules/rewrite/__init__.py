"""Caddy module rewrite: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
