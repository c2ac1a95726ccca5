"""Caddy module metrics: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
