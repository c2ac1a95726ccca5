"""Errors of the Caddyfile front end. Their text is what the CLI prints, after "Error: "."""


class CaddyfileError(Exception):
    """A Caddyfile that Caddy would reject; str() is Caddy's wording with FILE:LINE."""
