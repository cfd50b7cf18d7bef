"""The `gans` command (its code is gans/cli/); kept at the top level so `python cli.py ...` works
in a checkout."""
import sys

from gans.cli import main

if __name__ == "__main__":
    sys.exit(main())
