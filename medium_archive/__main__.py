"""`python -m medium_archive` runs the command-line interface."""

from .cli import cli

if __name__ == "__main__":
    cli()
