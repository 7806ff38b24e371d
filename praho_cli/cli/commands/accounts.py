"""praho accounts create|list|show|suspend|unsuspend|terminate|delete|protect|unprotect|password|apply|jobs"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="Hosting accounts: provisioning, lifecycle, declarative apply.", no_args_is_help=True)
jobs_app = typer.Typer(help="Provisioning jobs: attempts to create accounts, and their rollback.",
                       no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

Domain = Annotated[str, typer.Argument(help="Domain (Unicode or punycode) or account id.")]
PasswordFile = Annotated[str | None, typer.Option("--password-file", help="With --generate-password (or on "
                         "rotation): write the new password to this new file (mode 0600; an existing file "
                         "only with --force, a link never). Otherwise: read it from here.")]
ShowPassword = Annotated[bool, typer.Option("--show-password", help="Include a generated password in JSON output.")]


def _providers(app_: Any) -> Any:
    from praho_cli.cli.commands.servers import client_provider

    return client_provider(app_)


Force = Annotated[bool, typer.Option("--force", help="Let --password-file replace an existing file (never a "
                  "symbolic link).")]


class _Delivery:
    """Where a generated password goes: decided, and its file reserved, before the password exists.

    A generated password leaves praho once: a new 0600 file (praho_cli.private_files: never through a
    link, an existing file only with --force), JSON with --show-password, or the terminal; never a log.
    With none of them the command refuses before anything is provisioned or rotated (exit 2): the
    password would be set on the server and lost."""

    def __init__(self, app_: Any, path: str | None, show: bool, force: bool, command: str) -> None:
        from praho_cli.private_files import PrivateFile
        from praho_cli.result import ErrorCode, PrahoFailure

        self.app_ = app_
        self.show = show
        self.delivered = False
        self.to_terminal = not path and not show and bool(app_.streams.env.stderr_isatty)
        if not path and not show and not self.to_terminal:
            raise PrahoFailure.of(ErrorCode.INVALID, f"{command}: no terminal to show the generated password "
                                  "once; pass --password-file FILE (with --generate-password on create) or "
                                  "--show-password (JSON)")
        self.file = PrivateFile.open(path, what="password file", replace=force) if path else None

    def __enter__(self) -> _Delivery:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.file is not None and not self.delivered:
            # The work failed (or replayed a stored result, which holds no password): no empty file left.
            self.file.discard()

    def deliver(self, domain: str, password: str) -> None:
        self.delivered = True
        if self.file is not None:
            self.file.write(password + "\n")
            self.app_.messages.info(f"Password for {domain} written to {self.file.path}")
        elif self.to_terminal:
            self.app_.env.stderr.write(f"Password for {domain} (shown once): {password}\n")


def _read_password(app_: Any, path: str) -> str:
    text = app_.read_text_file(path, "--password-file").splitlines()
    return text[0] if text else ""


@app.command("create")
def create(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(help="Domain to host (IDN accepted; stored as punycode).")],
    customer: Annotated[str, typer.Option("--customer", help="Owner: customer id or e-mail.")],
    plan: Annotated[str | None, typer.Option("--plan", help="Virtualmin plan name or id.")] = None,
    template: Annotated[str | None, typer.Option("--template", help="Virtualmin template name or id.")] = None,
    server: Annotated[str | None, typer.Option("--server", help="Place on this server (must pass placement "
                      "checks).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only servers in this region.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only servers with this tag (repeatable).")] = None,
    username: Annotated[str | None, typer.Option("--username", help="3-32 of a-z, 0-9, _ (default: from the "
                        "domain).")] = None,
    password_file: PasswordFile = None,
    generate_password: Annotated[bool, typer.Option("--generate-password", help="Generate the password "
                                 "(the default when no --password-file is read).")] = False,
    show_password: ShowPassword = False, force: Force = False,
    protect: Annotated[bool, typer.Option("--protect", help="Refuse deletion until unprotected.")] = False,
    idempotency_key: o.IdempotencyKey = None, dry_run: o.DryRun = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Provision an account: validate, place, pre-flight, create; roll back on failure.

    Example: praho accounts create shop.ro --customer billing@acme.ro --generate-password --password-file ./shop.pw
    """
    import contextlib

    from praho_cli.services.hosting import accounts, provisioning

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    reads_file = bool(password_file) and not generate_password
    supplied = _read_password(app_, password_file) if reads_file and password_file else None
    req = provisioning.CreateRequest(domain=domain, customer=customer, plan=plan, template=template, server=server,
                                     region=region, tags=tuple(tag or ()), username=username, password=supplied,
                                     protect=protect)
    sctx = app_.service_context()
    db = app_.database()
    if dry_run:
        out.one(provisioning.plan_create(db, sctx, req).unwrap())
        app_.messages.info("Dry run: nothing was changed")
        return
    delivery = contextlib.nullcontext(None) if reads_file else _Delivery(
        app_, password_file, show_password, force, "accounts create")
    with delivery as pending:
        row = provisioning.create_account(db, sctx, _providers(app_), req, idempotency_key).unwrap()
        password = row.get("password")
        if password and pending is not None:
            pending.deliver(row["domain"], password)
    out.one({**row, "password": password if show_password else None})
    app_.messages.success(f"Created {row['domain']} on {row['server']} (user {row['username']})",
                          event="account.created", id=row["id"])


@app.command("list")
def list_(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option("--server", help="Only this server.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer (id or e-mail).")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List accounts.

    Example: praho accounts list --status suspended -o jsonl
    """
    from praho_cli.services.hosting import accounts

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    flt = accounts.AccountFilter(server=server, customer=customer, status=status)
    with app_.reading() as session:
        out.many(accounts.list_accounts(session, flt).unwrap())


@app.command("show")
def show(ctx: typer.Context, domain: Domain, output: o.Output = None, json: o.Json = False,
         fields: o.Fields = None) -> None:
    """Show one account.

    Example: praho accounts show shop.ro --json
    """
    from praho_cli.services.hosting import accounts

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    with app_.reading() as session:
        out.one(accounts.show_account(session, domain).unwrap())


def _lifecycle(ctx: typer.Context, verb: str, domain: str, output: Any, json: bool, fields: Any,
               **kwargs: Any) -> None:
    from praho_cli.services.hosting import accounts, lifecycle

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    fn = getattr(lifecycle, verb)
    row = fn(app_.database(), app_.service_context(), _providers(app_), domain, **kwargs).unwrap()
    out.one(row)
    app_.messages.success(f"{row['domain']}: {row['status']}", event=f"account.{verb}", id=row["id"])


@app.command("suspend")
def suspend(ctx: typer.Context, domain: Domain,
            reason: Annotated[str, typer.Option("--reason", help="Why (shown by Virtualmin).")],
            output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Suspend an account (Virtualmin disable-domain). Already suspended: nothing to do.

    Example: praho accounts suspend shop.ro --reason 'unpaid invoice INV2026-000042'
    """
    _lifecycle(ctx, "suspend", domain, output, json, fields, reason=reason)


@app.command("unsuspend")
def unsuspend(ctx: typer.Context, domain: Domain, output: o.Output = None, json: o.Json = False,
              fields: o.Fields = None) -> None:
    """Re-enable a suspended account.

    Example: praho accounts unsuspend shop.ro
    """
    _lifecycle(ctx, "unsuspend", domain, output, json, fields)


@app.command("terminate")
def terminate(ctx: typer.Context, domain: Domain, yes: o.Yes = False, output: o.Output = None,
              json: o.Json = False, fields: o.Fields = None) -> None:
    """Suspend remotely and mark terminated (the ledger row stays; `delete` removes it).

    Example: praho accounts terminate shop.ro --yes
    """
    o.app_of(ctx).confirm(f"Terminate {domain}?", yes)
    _lifecycle(ctx, "terminate", domain, output, json, fields)


@app.command("delete")
def delete(ctx: typer.Context, domain: Domain, yes: o.Yes = False, output: o.Output = None,
           json: o.Json = False, fields: o.Fields = None) -> None:
    """Delete a terminated, unprotected account from Virtualmin and the ledger.

    Example: praho accounts delete shop.ro --yes
    """
    o.app_of(ctx).confirm(f"Delete {domain} and all its files from Virtualmin?", yes)
    _lifecycle(ctx, "delete", domain, output, json, fields)


def _protection(ctx: typer.Context, domain: str, on: bool, output: Any, json: bool, fields: Any) -> None:
    from praho_cli.services.hosting import accounts, lifecycle

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    sctx = app_.service_context()
    row = app_.transact(lambda s: lifecycle.set_protected(s, sctx, domain, on))
    out.one(row)
    app_.messages.success(f"{row['domain']}: {'protected' if on else 'unprotected'}", event="account.protect")


@app.command("protect")
def protect(ctx: typer.Context, domain: Domain, output: o.Output = None, json: o.Json = False,
            fields: o.Fields = None) -> None:
    """Refuse deletion of an account until it is unprotected.

    Example: praho accounts protect shop.ro
    """
    _protection(ctx, domain, True, output, json, fields)


@app.command("unprotect")
def unprotect(ctx: typer.Context, domain: Domain, yes: o.Yes = False, output: o.Output = None,
              json: o.Json = False, fields: o.Fields = None) -> None:
    """Allow deletion of a protected account (audited).

    Example: praho accounts unprotect shop.ro --yes
    """
    o.app_of(ctx).confirm(f"Allow {domain} to be deleted?", yes)
    _protection(ctx, domain, False, output, json, fields)


@app.command("password")
def password(ctx: typer.Context, domain: Domain, password_file: PasswordFile = None,
             show_password: ShowPassword = False, force: Force = False, output: o.Output = None,
             json: o.Json = False, fields: o.Fields = None) -> None:
    """Rotate an account's password (generated; delivered once).

    Example: praho accounts password shop.ro --password-file ./shop.pw
    """
    from praho_cli.services.hosting import accounts, lifecycle

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.ACCOUNT, output, fields, json)
    with _Delivery(app_, password_file, show_password, force, "accounts password") as delivery:
        row, new_password = lifecycle.rotate_password(app_.database(), app_.service_context(), _providers(app_),
                                                     domain).unwrap()
        delivery.deliver(row["domain"], new_password)
    out.one({**row, "password": new_password if show_password else None})
    app_.messages.success(f"{row['domain']}: password changed", event="account.password", id=row["id"])


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Manifest (TOML or JSON; schema in docs/json-schemas).")],
    plan: Annotated[bool, typer.Option("--plan", help="Show the actions; change nothing.")] = False,
    detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode", help="With --plan: exit 7 when "
                                 "something would change, 0 when nothing would.")] = False,
    parallel: Annotated[int | None, typer.Option("--parallel", help="Servers worked on at once (default "
                        "virtualmin.parallel).", min=1)] = None,
    yes: o.Yes = False, wait: o.Wait = 0, output: o.Output = None, json: o.Json = False,
    fields: o.Fields = None,
) -> None:
    """Make the ledger and Virtualmin match a manifest (create, suspend, unsuspend, change plan, delete).

    Example: praho accounts apply accounts.toml --plan --detailed-exitcode
    """
    from praho_cli.ledger.locks import acquire
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.services.hosting import manifest

    app_ = o.app_of(ctx)
    out = app_.renderer(manifest.ACTION, output, fields, json)
    entries = manifest.load_manifest(app_.read_text_file(file, "manifest"), file).unwrap()
    sctx = app_.service_context()
    db = app_.database()
    actions = manifest.plan(db, sctx, entries).unwrap()
    changing = [a for a in actions if a["action"] != "none"]
    if plan:
        out.many(actions)
        if detailed_exitcode and changing:
            raise PrahoFailure.of(ErrorCode.DIFFERENCES, f"{len(changing)} change(s) planned")
        return
    if not changing:
        out.many(actions)
        app_.messages.success("Nothing to do: the ledger already matches the manifest", event="apply.noop")
        return
    if any(a["action"] == "delete" for a in changing):
        app_.confirm(f"Apply {len(changing)} change(s), including deletions?", yes)
    workers = parallel or int(app_.settings.get("virtualmin.parallel"))
    with acquire(db, "accounts.apply", sctx.run_id, ttl_seconds=int(app_.settings.get("lock_ttl_seconds")),
                 wait_seconds=wait, clock=app_.env.clock):
        results = manifest.apply(db, sctx, _providers(app_), entries, workers).unwrap()
    out.many(results)
    failed = [r for r in results if r["outcome"] == "failed"]
    if failed:
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(failed)} of {len(results)} action(s) failed: "
                              + ", ".join(r["domain"] for r in failed))
    app_.messages.success(f"Applied {len(changing)} change(s)", event="apply.done")


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="pending, running, succeeded, failed or "
                      "unknown.")] = None,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """List provisioning jobs.

    Example: praho accounts jobs list --status unknown
    """
    from praho_cli.services.hosting import accounts

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.JOB, output, fields, json)
    with app_.reading() as session:
        out.many(accounts.list_jobs(session, status).unwrap())


@jobs_app.command("show")
def jobs_show(ctx: typer.Context, job: Annotated[str, typer.Argument(help="Job id or attempt id.")],
              output: o.Output = None, json: o.Json = False, fields: o.Fields = None) -> None:
    """Show a job with its steps and rollback results.

    Example: praho accounts jobs show 12 --json
    """
    from praho_cli.services.hosting import accounts

    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.JOB, output, fields, json)
    with app_.reading() as session:
        out.one(accounts.show_job(session, job).unwrap())


@jobs_app.command("resume")
def jobs_resume(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Argument(help="Job id or attempt id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every job to settle: unknown ones, and pending or running "
                    "ones whose process is gone.")] = False,
    output: o.Output = None, json: o.Json = False, fields: o.Fields = None,
) -> None:
    """Resolve a job whose outcome is unknown (or whose process died) by reading the domain back from
    Virtualmin. With --all, every such job; a job that cannot be settled yet is a warning, one that
    fails to resume makes the command exit 6.

    Example: praho accounts jobs resume 12
    """
    from praho_cli.result import Err, ErrorCode, PrahoFailure
    from praho_cli.services.hosting import accounts, provisioning

    if (job is None) == (not all_):
        raise PrahoFailure.of(ErrorCode.INVALID, "give a job id or --all, not both" if all_ else
                              "give a job id, or --all")
    app_ = o.app_of(ctx)
    out = app_.renderer(accounts.JOB, output, fields, json)
    db, sctx, clients = app_.database(), app_.service_context(), _providers(app_)
    if job is not None:
        row = provisioning.resume_job(db, sctx, clients, job).unwrap()
        out.one(row)
        _report_resumed(app_, row)
        return
    refs = provisioning.resumable_jobs(db, sctx).unwrap()
    rows, errors = [], []
    for ref in refs:
        resumed = provisioning.resume_job(db, sctx, clients, ref)
        if isinstance(resumed, Err):
            if resumed.error.details.get("retry_after"):
                app_.messages.warning(resumed.error.message, event="job.waiting", job=ref)
            else:
                errors.append(f"job {ref}: {resumed.error.message}")
            continue
        rows.append(resumed.value)
        _report_resumed(app_, resumed.value)
    out.many(rows)
    if errors:
        raise PrahoFailure.of(ErrorCode.PARTIAL, f"{len(errors)} of {len(refs)} job(s) could not be resumed: "
                              + "; ".join(errors[:3]))
    if not refs:
        app_.messages.info("No job to resume")


def _report_resumed(app_: Any, row: dict[str, Any]) -> None:
    if row["status"] == "failed":
        app_.messages.warning(f"Job {row['id']} ({row['domain']}) failed: {row['error']}", event="job.resumed")
    else:
        app_.messages.success(f"Job {row['id']} ({row['domain']}): {row['status']}", event="job.resumed")
