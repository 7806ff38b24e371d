"""praho help exit-codes"""

from __future__ import annotations

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Reference topics: exit codes.", no_args_is_help=True)

EXIT_CODE_TABLE: tuple[tuple[int, str], ...] = (
    (0, "success (an empty list is success; so is a reader that closed the pipe early, as `| head` does)"),
    (1, "unexpected failure (a bug; one line on stderr, traceback only with --debug)"),
    (2, "usage or invalid input (bad flag, bad amount, bad domain, unknown field)"),
    (3, "refused: a confirmation was declined, or needed while prompting is impossible"),
    (4, "not found"),
    (5, "conflict or not allowed in the current state (ineligible refund, protected account, stale version, "
        "idempotency key reused with other parameters)"),
    (6, "batch finished, some items failed (the report says which)"),
    (7, "a check found differences (drift scan --exit-code, audit verify, db check, series-audit, "
        "apply --plan --detailed-exitcode)"),
    (69, "a remote server could not be reached, timed out, or failed the request (EX_UNAVAILABLE)"),
    (75, "another run holds the lock; try later (EX_TEMPFAIL)"),
    (77, "authentication or permission refused by a remote server or the database (EX_NOPERM)"),
    (78, "configuration error (EX_CONFIG)"),
    (130, "interrupted"),
)

# How the codes apply where a choice had to be made (docs/exit-codes.md prints these under the table).
EXIT_CODE_RULES: tuple[str, ...] = (
    "**A closed pipe is success.** `praho invoices list -o jsonl | head -2` or `praho customers list | true` "
    "exits 0 with nothing on stderr once the reader stops reading: the reader has what it asked for, and "
    "`set -o pipefail` scripts keep working. (git exits 141, killed by SIGPIPE; praho does not.)",
    "**One item is not a batch.** A command given one server (`servers check vm1`, `servers sync-stats vm1`) "
    "exits with that failure's own code (69, 77, 78…); 6 is for several items or `--all`.",
    "**Command-line input is 2, files and environment are 78.** `config set` with an unknown key or a value "
    "of the wrong type exits 2 (and leaves the file unchanged); the same mistake in the config file or a "
    "`PRAHO_*` variable exits 78, naming where it was read.",
)


@app.command("exit-codes")
def exit_codes(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """The exit codes every praho command uses.

    Example: praho help exit-codes -o json
    """
    from praho_cli.records import Field, RecordType

    rtype = RecordType("exit_code", "Exit code", (Field("code", "integer", "Exit status."),
                                                  Field("meaning", "string", "What it means.")))
    out = o.app_of(ctx).renderer(rtype, output, fields, json)
    out.many({"code": code, "meaning": meaning} for code, meaning in EXIT_CODE_TABLE)
