from caddy_py.cli import main

raise SystemExit(main())
