"""Allow `python -m sendbot`."""

from sendbot.cli import main

main()
