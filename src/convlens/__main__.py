"""``python -m convlens`` runs the ``convlens`` command."""

from .cli import main

main()
