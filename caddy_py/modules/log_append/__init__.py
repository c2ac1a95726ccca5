"""Caddy module log_append: Caddyfile parser (caddyfile.py) and runtime (handler.py)."""
