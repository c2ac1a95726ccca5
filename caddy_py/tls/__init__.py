"""TLS for caddy-py: the `tls` and `pki` apps, certificates, the local CA and automatic HTTPS.

Layout: `clienthello.py` reads SNI/ALPN from a peeked ClientHello; `certs.py` loads certificates
and picks one by server name (certmagic's rules); `policies.py` turns connection policies into
`ssl.SSLContext`s; `handshake.py` wraps a listener's connections in TLS; `storage.py`,
`localca.py` and `automation.py` keep managed certificates (issued by the local CA) in Caddy's
storage layout; `app.py` registers the apps; `autohttps.py` is the http app's automatic HTTPS.
"""
