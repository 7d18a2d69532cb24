import click


@click.group("allocation")
def cli() -> None:
    """Commands of the allocation domain."""
