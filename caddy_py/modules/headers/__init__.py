"""Caddy module headers: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
