"""`python -m fuite` runs the command line, like the `fuite` script."""

from fuite.cli import main

main()
