import click


@click.group("pipeline")
def cli() -> None:
    """Commands of the pipeline domain."""
