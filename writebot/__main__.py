from writebot.cli import main

raise SystemExit(main())
