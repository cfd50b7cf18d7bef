"""`python -m gans ...` is the `gans` command."""
import sys

from gans.cli import main

sys.exit(main())
