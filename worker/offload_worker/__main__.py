import sys

from offload_worker.cli import main

sys.exit(main())
