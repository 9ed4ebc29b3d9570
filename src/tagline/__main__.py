"""``python -m tagline`` runs the command line."""

from tagline.cli import main

main()
