"""reverse_proxy: Caddy's `http.handlers.reverse_proxy` and its sub-modules (runtime side).

Runtime files: handler.py (the handler and its proxy loop), hosts.py (per-address state shared
process-wide), selection.py (lb policies), upstreams.py (dynamic upstream sources),
transport.py (the http transport on aiohttp), health.py (passive/active checks),
forwarded.py (request header preparation), upgrade.py (WebSocket/Upgrade piping),
copy_response.py (handle_response helpers), header_ops.py (Caddy's header operations).
"""
