import click


@click.group("review")
def cli() -> None:
    """Commands of the review domain."""
