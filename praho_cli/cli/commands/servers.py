"""praho servers add|list|show|update|remove|trust|maintenance|check|sync-stats"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Virtualmin servers: registration, health, capacity.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="Server name (a-z, 0-9, '-').")]
Names = Annotated[list[str] | None, typer.Argument(help="Server names.")]
All = Annotated[bool, typer.Option("--all", help="Every registered server.")]
Url = Annotated[str | None, typer.Option("--url", help="Webmin URL, e.g. https://host:10000 (HTTP remote API).")]
Ssh = Annotated[str | None, typer.Option("--ssh", help="user@host[:port] (the virtualmin command over SSH).")]
MaxDomains = Annotated[int | None, typer.Option("--max-domains", help="Most accounts on this server.", min=1)]
MaxDisk = Annotated[int | None, typer.Option("--max-disk-gb", help="Disk budget for accounts, in GB.", min=1)]
Weight = Annotated[int | None, typer.Option("--weight", help="Placement weight (default 1).", min=1)]
Region = Annotated[str | None, typer.Option("--region", help="Placement region.")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Placement tag (repeatable).")]
CaFile = Annotated[str | None, typer.Option("--ca-file", help="CA bundle that signed Webmin's certificate.")]
Pin = Annotated[str | None, typer.Option("--pin", help="SHA-256 fingerprint of Webmin's certificate.")]
KnownHosts = Annotated[str | None, typer.Option("--known-hosts", help="known_hosts file for the SSH host key.")]


def client_provider(app_: Any) -> Any:
    """Virtualmin clients for server rows, with secrets from the configuration's secret sources."""
    from praho_cli.services.hosting import connections

    settings = app_.settings
    return connections.client_provider(settings.get, settings.secret, app_.env.transport_factory)


def _write_connection_config(app_: Any, name: str, username: str | None, password_file: str | None,
                             password_command: str | None, ssh_key: str | None) -> None:
    from praho_cli.config.files import set_value

    values = {"username": username, "password_file": password_file, "password_command": password_command,
              "ssh_key_file": ssh_key}
    for leaf, value in values.items():
        if value:
            set_value(app_.settings.path, f"servers.{name}.{leaf}", value)


def _test_connection(app_: Any, server: Any, username: str | None, password_file: str | None,
                     password_command: str | None, ssh_key: str | None) -> None:
    """Virtualmin `info` on a server not yet stored, with the credentials `servers add` was given (the
    environment first, as for every secret) or those already configured."""
    from praho_cli.config.settings import read_secret_file, run_secret_command
    from praho_cli.result import PrahoFailure
    from praho_cli.services.hosting import connections

    settings = app_.settings
    prefix = f"servers.{server.name}"
    given = {f"{prefix}.username": username, f"{prefix}.ssh_key_file": ssh_key}

    def setting(key: str) -> Any:
        return given.get(key) or settings.get(key)

    def secret(key: str) -> str | None:
        value = settings.secret(key)
        if value is None and key == f"{prefix}.password":
            if password_file:
                from pathlib import Path

                return read_secret_file(Path(password_file).expanduser(), "--password-file")
            if password_command:
                return run_secret_command(password_command, "--password-command")
        return value

    try:
        connections.client_provider(setting, secret, app_.env.transport_factory)(server).info()
    except PrahoFailure as failure:
        error = failure.error
        raise PrahoFailure.of(error.code, f"servers add {server.name}: the connection test failed: {error.message}; "
                              "nothing was stored (--no-check adds it without the test)", error.retry,
                              **error.details) from None


def _remove_connection_config(app_: Any, name: str, keep: bool) -> bool:
    """Remove ``[servers.NAME]`` from the config file; True when a section was there and was kept."""
    from praho_cli.config.files import has_section, remove_section

    path = app_.settings.path
    if path is None or not path.exists() or not has_section(path, f"servers.{name}"):
        return False
    if keep:
        return True
    remove_section(path, f"servers.{name}")
    return False


@app.command("add")
def add(
    ctx: typer.Context, name: Name, url: Url = None, ssh: Ssh = None, max_domains: MaxDomains = None,
    max_disk_gb: MaxDisk = None, weight: Weight = None, region: Region = None, tag: Tags = None,
    ca_file: CaFile = None, pin: Pin = None, known_hosts: KnownHosts = None,
    username: Annotated[str | None, typer.Option("--username", help="Webmin or SSH user (saved in the config).")]
    = None,
    password_file: Annotated[str | None, typer.Option("--password-file", help="File holding the Webmin password "
                             "(its path is saved in the config, never the password).")] = None,
    password_command: Annotated[str | None, typer.Option("--password-command", help="Command printing the Webmin "
                                "password, e.g. 'pass show vmin/host1' (saved in the config).")] = None,
    ssh_key: Annotated[str | None, typer.Option("--ssh-key", help="Private key file for SSH (saved in the config).")]
    = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Do not test the connection (Virtualmin `info`) "
                        "before adding.")] = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Register a server. Credentials go to the configuration's secret sources, never to the ledger.

    An HTTP server's connection is tested first (Virtualmin `info`, with the credentials given here or
    configured); when it fails nothing is stored and the command exits with the failure's code (69
    unreachable, 77 credentials refused). An http:// URL draws a warning: the password travels in clear.
    An SSH server is tested by `servers trust`, which records its host key.

    Example: praho servers add vm1 --url https://vm1.hosting.ro:10000 --max-domains 200 --password-file ~/.vm1
    """
    from praho_cli.services.hosting import servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    data = servers.ServerInput(url=url, ssh=ssh, max_domains=max_domains or 100, max_disk_gb=max_disk_gb,
                               weight=weight or 1, region=region, tags=tuple(tag or ()), ca_file=ca_file,
                               pin_sha256=pin, known_hosts=known_hosts)
    sctx = app_.service_context()
    with app_.reading() as session:
        candidate = servers.new_server(session, sctx, name, data).unwrap()
    if candidate.kind == "http" and (candidate.url or "").startswith("http://"):
        app_.messages.warning(f"{candidate.name}: {candidate.url} is plain http://: the Webmin password travels "
                              "in clear; use https:// (with --ca-file or --pin)", event="server.cleartext")
    if not no_check and candidate.kind == "http":  # an SSH server's first test is `servers trust`
        _test_connection(app_, candidate, username, password_file, password_command, ssh_key)
    row = app_.transact(lambda s: servers.add_server(s, sctx, name, data))
    _write_connection_config(app_, row["name"], username, password_file, password_command, ssh_key)
    out.one(row)
    app_.messages.success(f"Added server {row['name']} ({row['endpoint']})", event="server.added", id=row["id"])
    if row["kind"] == "ssh" and not known_hosts:
        app_.messages.info(f"Next: praho servers trust {row['name']} (records its SSH host key)")


@app.command("list")
def list_(ctx: typer.Context, output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """List servers with capacity, status and health.

    Example: praho servers list -o json
    """
    from praho_cli.services.hosting import servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    with app_.reading() as session:
        out.many(servers.list_servers(session).unwrap())


@app.command("show")
def show(ctx: typer.Context, name: Name, output: o.Output = None, json: o.Json = False,
         fields: o.Fields = None) -> None:
    """Show one server.

    Example: praho servers show vm1 --json
    """
    from praho_cli.services.hosting import servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    with app_.reading() as session:
        out.one(servers.show_server(session, name).unwrap())


@app.command("update")
def update(
    ctx: typer.Context, name: Name, url: Url = None, ssh: Ssh = None, max_domains: MaxDomains = None,
    max_disk_gb: MaxDisk = None, weight: Weight = None, region: Region = None, tag: Tags = None,
    ca_file: CaFile = None, pin: Pin = None, known_hosts: KnownHosts = None,
    status: Annotated[str | None, typer.Option("--status", help="active, failed or disabled (an operator's "
                      "status: health checks never override it).")] = None,
    if_version: Annotated[int | None, typer.Option("--if-version", help="Only if still at this version.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Change a server's settings or status (--tag replaces all tags).

    Example: praho servers update vm1 --max-domains 300 --tag ssd --tag nvme
    """
    from praho_cli.services.hosting import servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    data = servers.ServerInput(url=url, ssh=ssh, max_domains=max_domains, max_disk_gb=max_disk_gb, weight=weight,
                               region=region, tags=tuple(tag) if tag else None, ca_file=ca_file, pin_sha256=pin,
                               known_hosts=known_hosts)
    sctx = app_.service_context()
    row = app_.transact(lambda s: servers.update_server(s, sctx, name, data, status, if_version))
    out.one(row)
    app_.messages.success(f"Updated server {row['name']} (version {row['version']})", event="server.updated")


@app.command("remove")
def remove(ctx: typer.Context, name: Name, yes: o.Yes = False,
           keep_config: Annotated[bool, typer.Option("--keep-config", help="Keep the server's [servers.NAME] "
                                                     "section in the config file.")] = False,
           output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Remove a server from the ledger (refused while accounts live on it), close its open drift records
    and remove its [servers.NAME] section from the config file (unless --keep-config).

    Example: praho servers remove vm9 --yes
    """
    from praho_cli.services.hosting import servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    with app_.reading() as session:
        servers.show_server(session, name).unwrap()
    app_.confirm(f"Remove server {name} from the ledger?", yes)
    sctx = app_.service_context()
    removed = app_.transact(lambda s: servers.remove_server(s, sctx, name))
    row = removed.server
    kept = _remove_connection_config(app_, row["name"], keep_config)
    out.one(row)
    closed = f"; closed {removed.drift_closed} open drift record(s)" if removed.drift_closed else ""
    app_.messages.success(f"Removed server {row['name']}{closed}", event="server.removed",
                          drift_closed=removed.drift_closed)
    if kept:
        app_.messages.info(f"Kept [servers.{row['name']}] in {app_.settings.path} (--keep-config)")


@app.command("maintenance")
def maintenance(
    ctx: typer.Context, name: Name,
    state: Annotated[str, typer.Argument(help="on or off.", metavar="on|off")],
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Put a server in maintenance (no new accounts placed there) or take it out.

    Example: praho servers maintenance vm1 on
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.hosting import servers

    if state not in ("on", "off"):
        raise PrahoFailure.of(ErrorCode.INVALID, f"state must be on or off, not {state!r}")
    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    sctx = app_.service_context()
    row = app_.transact(lambda s: servers.set_maintenance(s, sctx, name, state == "on"))
    out.one(row)
    app_.messages.success(f"Server {row['name']} maintenance {state}", event="server.maintenance")


def _progress(app_: Any, total: int, label: str) -> Any:
    """A Rich progress bar on stderr for a person at a terminal; nothing otherwise."""
    if not app_.streams.interactive or total <= 1:
        return None, None
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(file=app_.env.stderr, force_terminal=True), transient=True)
    task = progress.add_task(label, total=total)
    progress.start()
    return progress, (lambda _name: progress.advance(task))


def _batch(ctx: typer.Context, names: list[str] | None, all_: bool, output: Any, json: bool, fields: Any,
           kind: str) -> None:
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.hosting import checks

    app_ = o.app_of(ctx)
    rtype = checks.CHECK if kind == "check" else checks.STATS
    out = app_.renderer(rtype, output, fields, json)
    sctx = app_.service_context()
    db = app_.database()
    count = len(names or []) or 2
    progress, advance = _progress(app_, count, "Checking servers" if kind == "check" else "Reading statistics")
    try:
        fn = checks.check_servers if kind == "check" else checks.sync_stats
        rows = fn(db, sctx, client_provider(app_), names or [], all_, advance).unwrap()
    finally:
        if progress is not None:
            progress.stop()
    out.many(rows)
    failed = [r["server"] for r in rows if not r["ok"]]
    if failed and len(names or []) == 1 and not all_:
        # One named server is not a batch: its own failure's code (69 unreachable, 77 refused, …).
        row = rows[0]
        message = row["error"] if row["error"].startswith(f"{row['server']}:") else f"{row['server']}: {row['error']}"
        raise PrahoFailure.of(ErrorCode(row["error_code"]), message)
    if failed:
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(failed)} of {len(rows)} server(s) failed: {', '.join(failed)}")
    app_.messages.success(f"{len(rows)} server(s) {'healthy' if kind == 'check' else 'synced'}", event=kind)


@app.command("check")
def check(ctx: typer.Context, names: Names = None, all_: All = False, output: o.Output = None,
          json: o.Json = False, fields: o.Fields = None) -> None:
    """Health-check servers in parallel (Virtualmin `info`).

    One named server exits with its failure's own code (69 unreachable, 77 credentials refused);
    several, or --all, exit 6 when any failed.

    Example: praho servers check --all -o json
    """
    _batch(ctx, names, all_, output, json, fields, "check")


@app.command("sync-stats")
def sync_stats(ctx: typer.Context, names: Names = None, all_: All = False, output: o.Output = None,
               json: o.Json = False, fields: o.Fields = None) -> None:
    """Read domain count and disk use from Virtualmin into the ledger.

    Example: praho servers sync-stats --all
    """
    _batch(ctx, names, all_, output, json, fields, "sync")


@app.command("trust")
def trust(ctx: typer.Context, name: Name, yes: o.Yes = False, output: o.Output = None, json: o.Json = False,
          fields: o.Fields = None) -> None:
    """Fetch an SSH server's host key, show its fingerprint, and trust it once confirmed.

    Example: praho servers trust vm2 --yes
    """
    from praho_cli.config.settings import default_data_dir
    from praho_cli.services.hosting import host_keys, servers

    app_ = o.app_of(ctx)
    out = app_.renderer(servers.SERVER, output, fields, json)
    with app_.reading() as session:
        server = servers.find_server(session, name).unwrap()
        host, port, kind = server.ssh_host, server.ssh_port, server.kind
        known_hosts = server.known_hosts or str(default_data_dir(app_.environ()) / "known_hosts")
    if kind != "ssh":
        from praho_cli.result import ErrorCode, PrahoFailure

        raise PrahoFailure.of(ErrorCode.INELIGIBLE, f"server {name} uses HTTP; trust applies to SSH servers")
    key_type, key_b64, fingerprint = host_keys.fetch_host_key(host or "", port)
    app_.messages.info(f"{name} ({host}:{port}) presents {key_type} key {fingerprint}")
    app_.confirm(f"Trust this host key for {name}?", yes)
    sctx = app_.service_context()
    row = app_.transact(lambda s: host_keys.trust_host_key(s, sctx, name, key_type, key_b64, fingerprint, known_hosts))
    out.one(row)
    app_.messages.success(f"Trusted {fingerprint} for {name} (in {known_hosts})", event="server.trusted")
