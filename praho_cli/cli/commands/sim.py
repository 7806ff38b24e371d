"""praho sim serve|virtualmin: a local Virtualmin to try praho or to test a CI pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from praho_cli.cli import options as o

app = typer.Typer(help="A simulated Virtualmin server (remote.cgi over HTTP and a virtualmin command).",
                  no_args_is_help=True)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the first server (0: any free port); "
                                      "further servers take the next ports.", min=0, max=65535)] = 10000,
    state: Annotated[Path | None, typer.Option("--state", help="State file (one server) or directory "
                                               "(several servers: NAME.json). Default: ./praho-sim.json "
                                               "or ./praho-sim/.", metavar="PATH")] = None,
    user: Annotated[str, typer.Option("--user", help="Webmin user clients must send.")] = "root",
    password_file: Annotated[Path | None, typer.Option("--password-file", help="File holding the password "
                                                       "(else PRAHO_SIM_PASSWORD).", metavar="PATH")] = None,
    servers: Annotated[int, typer.Option("--servers", help="Number of servers (vm1, vm2, ...).", min=1)] = 1,
    names: Annotated[list[str] | None, typer.Option("--name", help="Server name; repeat for several "
                                                    "servers (overrides --servers).")] = None,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS with a fresh self-signed certificate "
                                      "(its SHA-256 fingerprint is printed).")] = False,
    cert: Annotated[Path | None, typer.Option("--cert", help="TLS certificate (PEM); needs --key.")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="TLS private key (PEM).")] = None,
    latency: Annotated[float, typer.Option("--latency", help="Seconds added to every call.", min=0)] = 0.0,
    fault: Annotated[list[str] | None, typer.Option("--fault", help="Fault KIND[:key=value,...], e.g. "
                                                    "latency:seconds=2,programs=create-domain or "
                                                    "http_error:status=503,after=3. Repeatable.")] = None,
    pass_delay: Annotated[float, typer.Option("--pass-delay", help="Delay after a wrong password "
                                              "(miniserv: 1 s).", min=0)] = 1.0,
    seed_domains: Annotated[int, typer.Option("--seed-domains", help="Create N domains (d1.test ...) in "
                                              "each empty server first.", min=0)] = 0,
    print_url: Annotated[bool, typer.Option("--print-url", help="Print each server's URL alone on "
                                            "stdout, for scripts.")] = False,
) -> None:
    """Answer remote.cgi like Virtualmin GPL 8.1.0 until SIGINT or SIGTERM.

    Example: PRAHO_SIM_PASSWORD=secret praho sim serve --port 10000 --seed-domains 20
    """
    import os
    import signal
    import threading

    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.virtualmin.simulator import Fault, SimState, Simulator

    app_ = o.app_of(ctx)
    password = _password(password_file, app_.env.environ)
    if (cert is None) != (key is None):
        raise PrahoFailure.of(ErrorCode.INVALID, "--cert and --key go together")
    try:
        faults = [Fault.parse(spec) for spec in fault or []]
    except ValueError as exc:
        raise PrahoFailure.of(ErrorCode.INVALID, f"Invalid --fault: {exc}") from None
    if latency > 0:
        faults.insert(0, Fault("latency", seconds=latency))
    wanted = list(names) if names else (["vm"] if servers == 1 else [f"vm{i}" for i in range(1, servers + 1)])
    several = len(wanted) > 1
    base = state or Path("praho-sim" if several else "praho-sim.json")
    paths = [base / f"{n}.json" for n in wanted] if several else [base]
    simulator = Simulator()
    try:
        for index, (name, path) in enumerate(zip(wanted, paths, strict=True)):
            sim_state = SimState(path)
            if seed_domains and not sim_state.domains():
                sim_state.seed_domains(f"d{i}.test" for i in range(1, seed_domains + 1))
            server = simulator.add(
                name, sim_state, password=password, user=user, host=host,
                port=port + index if port else 0, faults=faults, tls=tls, certfile=cert, keyfile=key,
                auth_fail_delay=pass_delay,
            )
            fingerprint = f" (TLS SHA-256 {server.fingerprint_sha256})" if server.fingerprint_sha256 else ""
            app_.messages.info(f"Simulator listening on {server.remote_url} [{name}, state {path}]{fingerprint}")
            if print_url:
                app_.env.stdout.write(server.url + "\n")
                app_.env.stdout.flush()
    except OSError as exc:
        simulator.stop()
        raise PrahoFailure.of(ErrorCode.CONFIG, f"Cannot start the simulator: {exc.strerror or exc}") from None
    except BaseException:
        simulator.stop()
        raise
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        simulator.stop()
        app_.messages.info(f"Simulator stopped (pid {os.getpid()})")


def _password(password_file: Path | None, environ: Mapping[str, str]) -> str:
    from praho_cli.result import ErrorCode, PrahoFailure

    if password_file is not None:
        try:
            value = password_file.read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            raise PrahoFailure.of(ErrorCode.CONFIG, f"Cannot read --password-file {password_file}: "
                                  f"{exc.strerror}") from None
    else:
        value = environ.get("PRAHO_SIM_PASSWORD", "")
    if not value:
        raise PrahoFailure.of(ErrorCode.CONFIG, "The simulator needs a password: set PRAHO_SIM_PASSWORD "
                              "or pass --password-file")
    return value


@app.command("virtualmin", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                             "help_option_names": []},
             options_metavar="[--state PATH] PROGRAM [ARGS]...")
def virtualmin(
    ctx: typer.Context,
    state: Annotated[Path | None, typer.Option("--state", help="State file (else PRAHO_SIM_STATE).",
                                               metavar="PATH")] = None,
) -> None:
    """Run a virtualmin PROGRAM on the simulator's state file, with the real command's output and exit code.

    Everything after the options goes to the simulated command as it is: `PROGRAM --help` is
    Virtualmin's help for PROGRAM, `help` alone lists the programs.

    Example: praho sim virtualmin --state praho-sim.json list-domains --multiline
    """
    from praho_cli.result import ErrorCode, PrahoFailure
    from praho_cli.virtualmin.simulator.command import execute

    app_ = o.app_of(ctx)
    if ctx.args[:1] in (["--help"], ["-h"]):
        # No PROGRAM yet: the help asked for is praho's (options are passed through to PROGRAM only).
        app_.env.stdout.write(ctx.get_help() + "\n")
        return
    path = state or app_.env.environ.get("PRAHO_SIM_STATE")
    if not path:
        raise PrahoFailure.of(ErrorCode.CONFIG, "No simulator state file: pass --state or set PRAHO_SIM_STATE")
    data, code = execute(path, list(ctx.args))
    app_.env.stdout.write(data.decode("utf-8", errors="replace"))
    app_.env.stdout.flush()
    if code:
        # The exit code is Virtualmin's own (1 for its errors), not one of praho's: this command
        # stands in for the real `virtualmin`.
        raise typer.Exit(code)
