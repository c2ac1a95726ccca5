"""`caddy-py trust`: put the local CA's root certificate into the system trust store.

The CA is read from (or created in) the same storage the server uses: the config's `storage`
(with --config) or the default data directory (`$XDG_DATA_HOME/caddy`, else
`~/.local/share/caddy`). Installing works where the system has `update-ca-certificates`
(Debian/Ubuntu/Alpine) or `update-ca-trust` (Fedora/RHEL) and we may write its anchor folder;
`--print` writes the PEM to stdout for any other trust store (browsers, other machines).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from caddy_py.cli import UserError

ANCHORS = (("/usr/local/share/ca-certificates", "update-ca-certificates"),
           ("/etc/pki/ca-trust/source/anchors", "update-ca-trust"))


def cmd_trust(args: argparse.Namespace) -> int:
    from caddy_py.config.context import ConfigError
    from caddy_py.tls.localca import LocalCA
    from caddy_py.tls.storage import FileStorage

    cfg = {}
    if args.config:
        from caddy_py.config.loading import read_config_file

        try:
            cfg = read_config_file(args.config, args.adapter)
        except ConfigError as e:
            raise UserError(str(e)) from None
    try:
        storage = FileStorage.from_config(cfg)
        ca_cfg = (((cfg.get("apps") or {}).get("pki") or {}).get("certificate_authorities") or {}).get(args.ca)
        ca = LocalCA(storage, args.ca, ca_cfg).load_or_create()
    except (ConfigError, OSError, ValueError) as e:
        raise UserError(f"loading CA '{args.ca}': {e}") from None
    root_path = storage.path("pki", "authorities", args.ca, "root.crt")
    if args.print:
        sys.stdout.write(ca.root_pem.decode())
        return 0
    for folder, tool in ANCHORS:
        exe = shutil.which(tool)
        if exe is None or not os.path.isdir(folder):
            continue
        dest = os.path.join(folder, f"caddy-py-{args.ca}-root.crt")
        try:
            with open(dest, "wb") as f:
                f.write(ca.root_pem)
            subprocess.run([exe], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise UserError(f"installing root certificate into {folder}: {e}; the root is at {root_path} "
                            f"(`caddy-py trust --print` writes it to stdout)") from None
        sys.stderr.write(f"root certificate {root_path} installed as {dest}\n")
        return 0
    raise UserError(f"no supported system trust store found; the root certificate is at {root_path} "
                    f"(`caddy-py trust --print` writes it to stdout)")
