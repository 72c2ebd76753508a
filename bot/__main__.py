import sys

from bot.cli import main

if len(sys.argv) > 1 and sys.argv[1] in ("web", "worker", "dev"):
    sys.exit(main(sys.argv[1:]))
sys.exit(main())
