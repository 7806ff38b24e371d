"""The e-Factura ledger changes on both backends: the customers' county (migration 0008), the
`--missing efactura` query, and an export that reads the frozen document without writing."""

from __future__ import annotations

from tests.cli.test_efactura import ACME, ION_B, SELLER, issue
from tests.conftest import table_dump


def test_county_missing_query_and_export_on_both_backends(cli_any):
    cli = cli_any
    cli.extra_env.update(SELLER)
    assert cli(*ACME).exit_code == 0
    assert cli(*ION_B).exit_code == 0
    for add in (["--name", "No County SRL", "--email", "nc@x.ro", "--address", "Str. A 1", "--city", "Iasi"],
                ["--name", "Blank SRL", "--email", "blank@x.ro", "--address", " ", "--city", "Iasi",
                 "--county", "RO-IS"],
                ["--name", "Foreign GmbH", "--email", "f@x.de", "--country", "DE", "--address", "Str. 1",
                 "--city", "Berlin"]):
        assert cli("customers", "add", *add).exit_code == 0
    r = cli("customers", "list", "--missing", "efactura", "--fields", "email")
    assert (r.exit_code, r.stdout) == (0, "nc@x.ro\nblank@x.ro\n")
    r = cli("customers", "show", "ion@example.ro", "-o", "json")
    assert (r.json()["county"], r.json()["city"]) == ("RO-B", "SECTOR3")

    ref = issue(cli, "ion@example.ro", "Hosting|1|30.00")
    before = table_dump(cli.database_url)
    r = cli("efactura", "export", ref)
    assert r.exit_code == 0, r.stderr
    assert "<cbc:CountrySubentity>RO-B</cbc:CountrySubentity>" in r.stdout
    assert table_dump(cli.database_url) == before
