"""Caddy module map: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
