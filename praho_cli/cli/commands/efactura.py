"""praho efactura export|validate"""

from __future__ import annotations

from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="RO e-Factura: the UBL (CIUS-RO) of issued invoices and credit notes, and its validation.",
                  no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    document: Annotated[str, typer.Argument(help="Invoice or credit note number (or ledger id).")],
    out: Annotated[str, typer.Option("--out", help="File to write (mode 0600), or - for stdout.")] = "-",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
) -> None:
    """Write the UBL 2.1 e-Factura XML (CIUS-RO 1.0.1) of an issued invoice or credit note.

    A read: the document is not changed. A buyer or seller lacking a field e-Factura requires is
    exit 2 naming the customer (or the setting) and the field.

    Example: praho efactura export INV2026-000042 --out INV2026-000042.xml
    """
    from praho_cli.private_files import write_private
    from praho_cli.services.billing import efactura

    app_ = o.app_of(ctx)
    sctx = app_.service_context()
    with app_.reading() as session:
        exported = efactura.export_document(session, sctx, document).unwrap()
    xml: bytes = exported["xml"]
    if out == "-":
        app_.env.stdout.write(xml.decode("utf-8"))
        return
    write_private(out, xml.decode("utf-8"), what="e-Factura XML", replace=force)
    app_.messages.success(f"Wrote {exported['number']} to {out}", event="efactura.exported",
                          number=exported["number"], path=out)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="UBL file to check, or - for stdin.")],
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Check a UBL invoice or credit note: the UBL 2.1 XSD, praho's CIUS-RO checks and, with
    efactura.rules_dir set, ANAF's schematron (extra praho[efactura]). Exit 7 when it breaks a rule;
    a file that is not XML, or is hostile (a DOCTYPE, entities, deep nesting), is exit 2.

    Example: praho efactura validate INV2026-000042.xml
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.billing import efactura
    from praho_cli.services.billing.efactura import schematron, xml_input

    app_ = o.app_of(ctx)
    out = app_.renderer(efactura.VALIDATION, output, fields, json)
    # One byte more than a UBL file may hold: an oversized file is refused without reading all of it.
    limit = xml_input.MAX_BYTES + 1
    if file == "-":
        stdin = app_.env.stdin
        data = stdin.buffer.read(limit) if hasattr(stdin, "buffer") else stdin.read(limit).encode("utf-8")
    else:
        data = _read(file, limit)
    rules_dir = str(app_.settings.get("efactura.rules_dir") or "") or None
    cache = schematron.cache_dir(app_.env.environ)
    report = efactura.validate_document(data, file, rules_dir, cache).unwrap()
    out.one(report)
    if not report["valid"]:
        first = (report["xsd"] + report["cius_ro"] + (report["schematron"] or []))[0]
        raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"{file}: {report['errors']} problem(s), the first: {first}",
                              errors=report["errors"])
    app_.messages.success(f"{file}: valid {report['document']} {report['number']}", event="efactura.valid")


def _read(path: str, limit: int) -> bytes:
    from praho_cli.result import ErrorCode, PrahoFailure

    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError as exc:
        raise PrahoFailure.of(ErrorCode.INVALID, f"file: cannot read {path}: {exc.strerror}") from None
