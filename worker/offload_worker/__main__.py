import sys

from offload_worker.cli import main

if __name__ == "__main__":  # load processes are spawned from this module: they must not run main() again
    sys.exit(main())
