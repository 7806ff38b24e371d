"""One module per noun. Each defines ``app = typer.Typer(...)`` and is registered in cli/app.py.

Command modules import only typer and praho_cli.cli at module level; services, the ledger and the
Virtualmin client are imported inside command functions so that ``praho --help`` stays light.
"""
