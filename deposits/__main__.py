import sys

from deposits.cli import main

sys.exit(main())
