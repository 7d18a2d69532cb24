import click


@click.group("committee")
def cli() -> None:
    """Commands of the committee domain."""
