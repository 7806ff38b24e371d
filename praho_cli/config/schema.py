"""Every setting praho knows, in one table.

The loader validates files against it (an unknown key is an error, not silently ignored),
``config init`` and ``config.example.toml`` are generated from it, and ``config show`` walks it.
A key may contain ``*`` for a name chosen by the user (``servers.*.password``).

Secrets (``secret=True``) are never taken from a flag: they come from the environment, from the
file, or from ``KEY_file`` (a path whose first line is the secret) or ``KEY_command`` (a command
whose stdout's first line is the secret), and they are redacted wherever settings are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str
    secret: bool = False
    choices: tuple[str, ...] = ()
    example: Any = None
    # Raises ValueError (its text names what is wrong) for a value of the right type that is not valid.
    check: Callable[[Any], object] | None = None
    # The same, checked only when the value is set (`config set`); the feature that uses the value
    # checks it again where it matters, so a value an older praho accepted stops that feature only,
    # not every command (cron, provisioning) at load.
    set_check: Callable[[Any], object] | None = None

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0] if "." in self.key else ""

    @property
    def leaf(self) -> str:
        return self.key.rsplit(".", 1)[-1]


def _time_zone(value: Any) -> object:
    from praho_cli.calendar import zone

    return zone(str(value))


def _seller_vat_id(value: Any) -> object:
    from praho_cli.billing.regime import seller_vat_id_problem

    problem = seller_vat_id_problem(str(value))
    if problem:
        raise ValueError(problem)
    return value


def _seller_county(value: Any) -> object:
    from praho_cli.billing.ro_address import normalize_county

    if str(value).strip() and normalize_county(str(value)) != str(value).strip():
        raise ValueError(f"{value!r} is not an ISO 3166-2:RO county code as written on e-Factura (e.g. RO-CJ, "
                         "RO-B for Bucharest)")
    return value


def _seller_iban(value: Any) -> object:
    from praho_cli.billing.bank import iban_problem

    problem = iban_problem(str(value))
    if problem:
        raise ValueError(problem)
    return value


def _amount_bound(value: Any) -> object:
    if not 1 <= int(value) <= MAX_AMOUNT_BOUND:
        raise ValueError(f"must be between 1 and {MAX_AMOUNT_BOUND} (units of the document's currency)")
    return value


# The largest maximum an operator may set: 10^12 units is 10^15 minor units in a 3-decimal currency,
# far inside a 64-bit column even summed over a document's 500 lines with VAT.
MAX_AMOUNT_BOUND = 10**12

OUTPUT_CHOICES = ("table", "json", "jsonl", "csv", "tsv")

SETTINGS: tuple[Setting, ...] = (
    # --- general -------------------------------------------------------------------------------
    Setting("database_url", str, "", "Ledger URL. Empty: a SQLite file at $XDG_DATA_HOME/praho/ledger.db. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/praho (put a password in PGPASSWORD or "
            "~/.pgpass rather than here).", example="sqlite:////var/lib/praho/ledger.db"),
    Setting("output", str, "", "Default output format when -o is not given (empty: table on a terminal, "
            "tsv when piped).", choices=("", *OUTPUT_CHOICES)),
    Setting("actor", str, "", "Name recorded as the actor in audit events (empty: the OS user)."),
    Setting("log_format", str, "text", "Messages on stderr: text for people, json for cron (JSON lines).",
            choices=("text", "json")),
    Setting("no_input", bool, False, "Never prompt; destructive commands then need --yes."),
    Setting("sqlite_busy_timeout_ms", int, 30000, "How long a SQLite writer waits for the write lock."),
    Setting("lock_ttl_seconds", int, 300, "Lease length of a run lock on SQLite; renewed while the run "
            "lives, taken over by another run once expired."),
    # --- the business -------------------------------------------------------------------------
    Setting("business.timezone", str, "Europe/Bucharest", "IANA time zone of the business. Timestamps are "
            "stored and printed in UTC; every date a person or the law reads (issue date, tax point, due date, "
            "the fiscal year of a number, the VAT and exchange rate's day, days overdue, cron's day, date "
            "filters) is the calendar date in this zone.", example="Europe/Bucharest", check=_time_zone),
    # --- the seller (billing) -------------------------------------------------------------------
    Setting("seller.name", str, "", "Legal name printed on invoices; required to issue any document.",
            example="Hosting SRL"),
    Setting("seller.country", str, "RO", "ISO 3166 country code of the seller."),
    Setting("seller.vat_id", str, "", "Seller tax id: CUI, RO + CUI for a VAT payer (a seller of another "
            "member state: its EU VAT number); required to issue any document. Its check digit is verified by "
            "`config set` and before issuing.", example="RO18547290", set_check=_seller_vat_id),
    Setting("seller.vat_payer", bool, True, "Whether the seller is registered for VAT."),
    Setting("seller.oss_registered", bool, True, "Registered for the EU One-Stop Shop: EU consumers are charged "
            "their own country's VAT. false (below the 10,000 EUR threshold): they are charged the seller's rate."),
    Setting("seller.reg_com", str, "", "Trade register number (Reg. Com.).", example="J40/372/2002"),
    Setting("seller.address", str, "", "Registered address; required to issue any document. On e-Factura it is "
            "the street line (BT-35), beside seller.city, seller.postal_code and seller.county.",
            example="Str. Exemplu 1"),
    Setting("seller.city", str, "", "City of the registered address; for Bucharest the sector, SECTOR1 to "
            "SECTOR6. Required by e-Factura.", example="Cluj-Napoca"),
    Setting("seller.postal_code", str, "", "Postal code of the registered address.", example="400001"),
    Setting("seller.county", str, "", "County of the registered address as ISO 3166-2:RO (RO-B for Bucharest); "
            "required by e-Factura for a Romanian seller.", example="RO-CJ", set_check=_seller_county),
    Setting("seller.iban", str, "", "Bank account printed on invoices and sent as the payment account on "
            "e-Factura; checked (schwifty) by `config set` and before an export.", example="RO49AAAA1B31007593840000",
            set_check=_seller_iban),
    Setting("seller.bank", str, "", "Bank name printed on invoices."),
    Setting("seller.share_capital", str, "", "Share capital (capital social) when the seller mentions it, e.g. "
            "'200 RON'; empty: not mentioned."),
    Setting("seller.vat_on_collection", bool, False, "The seller applies cash-accounting VAT (TVA la încasare): "
            "documents carry the mention and e-Factura the VAT point code 432."),
    Setting("seller.email", str, "", "Billing contact e-mail."),
    # --- billing --------------------------------------------------------------------------------
    Setting("billing.default_currency", str, "RON", "Currency of new customers and invoices."),
    Setting("billing.due_days", int, 14, "Days from issue to due date when --due-days is not given."),
    Setting("billing.rounding", str, "half_up", "Rounding of VAT to the minor unit.",
            choices=("half_up", "half_even")),
    Setting("billing.max_line_amount", int, 1_000_000_000, "Largest unit price and largest line net (quantity "
            "× unit price) of a draft line, in units of the document's currency (1000000000: one billion RON, "
            "EUR…); a line above it is refused (exit 2).", check=_amount_bound),
    Setting("billing.max_document_amount", int, 1_000_000_000, "Largest total (VAT included) of a draft, in "
            "units of its currency; a line that would take the draft above it is refused (exit 2).",
            check=_amount_bound),
    Setting("billing.invoice_series", str, "INV", "Series code used for new invoices."),
    Setting("billing.proforma_series", str, "PRO", "Series code used for new proformas."),
    Setting("billing.credit_note_series", str, "CN", "Series code used for credit notes."),
    # --- e-Factura ------------------------------------------------------------------------------
    Setting("efactura.rules_dir", str, "", "Directory of ANAF's validation artefacts (the unpacked "
            "ro16931-ubl zip, holding preprocessed/ and cius-ro/). Set, `praho efactura validate` also runs ANAF's "
            "schematron, which needs the extra praho[efactura] (saxonche). Empty: the XSD and praho's CIUS-RO "
            "checks only.", example="/opt/anaf/ro16931-ubl-1.0.9"),
    # --- refunds --------------------------------------------------------------------------------
    Setting("refunds.command", str, "", "Executable that moves a refund's money (refund JSON on stdin, "
            "PRAHO_IDEMPOTENCY_KEY in its environment). Empty: refunds are recorded as settled outside praho."),
    Setting("refunds.command_timeout_seconds", int, 60, "How long the refund command may run."),
    # --- Virtualmin -----------------------------------------------------------------------------
    Setting("virtualmin.timeout_seconds", float, 30.0, "Default timeout of one Virtualmin call."),
    Setting("virtualmin.parallel", int, 8, "How many servers are talked to at once in batch work."),
    Setting("virtualmin.health_max_age_seconds", int, 900, "A health check older than this does not "
            "count for placement."),
    Setting("virtualmin.failure_threshold", int, 3, "Consecutive failed checks before a server is marked failed."),
    Setting("virtualmin.mutation_timeout_seconds", float, 600.0, "Timeout of one Virtualmin mutation (create, "
            "delete...); its outcome is then unknown and read back."),
    Setting("servers.*.username", str, "root", "Webmin/SSH user for this server."),
    Setting("servers.*.password", str, "", "Webmin password for this server (HTTP transport).", secret=True),
    Setting("servers.*.ssh_key_file", str, "", "Private key for the SSH transport."),
    Setting("servers.*.ssh_key_passphrase", str, "", "Passphrase of the SSH private key.", secret=True),
    # --- cron -----------------------------------------------------------------------------------
    Setting("cron.ping_url", str, "", "Healthchecks-style URL pinged at the start and end of `cron run`."),
    Setting("cron.max_age_hours", int, 26, "`cron status` exits 7 when a task has not succeeded for this long."),
    Setting("dunning.reminder_after_days", int, 3, "Days past due before the first reminder."),
    Setting("dunning.suspend_after_days", int, 15, "Days past due before the customer's accounts are suspended."),
    Setting("cron.ping_timeout_seconds", float, 10.0, "Timeout of one --ping-url request; a failed ping never "
            "fails the run."),
    Setting("dunning.reminder_command", str, "", "Executable that delivers a payment reminder (reminder JSON on "
            "stdin, PRAHO_IDEMPOTENCY_KEY in its environment). Empty: the reminder is only recorded and logged."),
    Setting("dunning.command_timeout_seconds", int, 60, "How long the reminder command may run."),
    Setting("drift.parallel", int, 64, "How many servers `drift scan` reads at once. A read is almost all "
            "waiting for the server (a real list-domains takes 0.2-0.5 s) and about 2 ms of CPU for 200 "
            "domains, so up to this many servers are read in about the time of one; each read in flight "
            "holds a thread, a connection and its reply (docs/drift.md)."),
)

SECRET_SUFFIXES = ("_file", "_command")


def _matches(pattern: str, key: str) -> bool:
    p_parts, k_parts = pattern.split("."), key.split(".")
    if len(p_parts) != len(k_parts):
        return False
    return all(p == "*" or p == k for p, k in zip(p_parts, k_parts, strict=True))


def find(key: str) -> tuple[Setting, str] | None:
    """The setting a key refers to, and how: "value", "_file" or "_command" (secret sources)."""
    for setting in SETTINGS:
        if _matches(setting.key, key):
            return setting, "value"
        if setting.secret:
            for suffix in SECRET_SUFFIXES:
                if _matches(setting.key + suffix, key):
                    return setting, suffix
    return None


def env_name(key: str) -> str:
    return "PRAHO_" + key.upper().replace(".", "_").replace("-", "_")


def is_secret_key(key: str) -> bool:
    found = find(key)
    return bool(found and found[0].secret and found[1] == "value")
