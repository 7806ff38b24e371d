"""A ``virtualmin`` command for the SSH path, working on a simulator state file.

    python -m praho_cli.virtualmin.simulator [--state FILE] PROGRAM [--flag value ...]

The state file comes from ``--state`` or ``PRAHO_SIM_STATE``. Output and exit codes are the real
command's (cli_*.txt and ssh_*.txt captures, exit codes in index.json): errors go to stdout, exit 1;
an unknown program prints ``Command X.pl was not found``. Every argument is data: it is matched
against flag names and stored, never handed to a shell.

``PRAHO_SIM_SHUFFLE=0`` keeps JSON keys in a stable order (the real command's order varies).
"""

from __future__ import annotations

import os
import random
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from praho_cli.virtualmin.simulator import envelope, texts
from praho_cli.virtualmin.simulator.faults import Effects, Fault, combine
from praho_cli.virtualmin.simulator.programs import PROGRAMS, run_program
from praho_cli.virtualmin.simulator.state import SimState

_USAGES = {
    "create-domain": texts.USAGE_CREATE_DOMAIN,
    "delete-domain": texts.USAGE_DELETE_DOMAIN,
    "disable-domain": texts.USAGE_DISABLE_DOMAIN,
    "enable-domain": texts.USAGE_ENABLE_DOMAIN,
    "list-domains": texts.USAGE_LIST_DOMAINS,
    "list-plans": texts.USAGE_LIST_PLANS,
    "list-templates": texts.USAGE_LIST_TEMPLATES,
    "modify-domain": texts.USAGE_MODIFY_DOMAIN,
}


def _effects(state: SimState, program: str) -> Effects:
    """Faults from the state file. Each command run is a new process, so the call counters live in
    the file too (under the server lock, held only for the count)."""
    if not state.read().get("faults"):
        return Effects()
    with state.mutate() as doc:
        rules = [Fault.from_dict(item) for item in doc.get("faults", [])]
        stored = doc.get("fault_counters") or {}
        counters = [int(stored.get(str(i), 0)) for i in range(len(rules))]
        effects = combine(rules, counters, program)
        doc["fault_counters"] = {str(i): n for i, n in enumerate(counters)}
    return effects


def execute(state_path: str | os.PathLike[str], argv: Sequence[str]) -> tuple[bytes, int]:
    """Run ``virtualmin ARGV`` against a state file; return (stdout bytes, exit code)."""
    if not argv or argv[0] in ("help", "--help", "-h"):
        if len(argv) > 1 and argv[1] in _USAGES:
            return _USAGES[argv[1]].encode("utf-8"), 0
        return texts.CLI_HELP.encode("utf-8"), 0
    program, args = argv[0], list(argv[1:])
    if program not in PROGRAMS:
        # cli_unknown-command.txt
        return f"Command {program}.pl was not found\n".encode(), 1
    state = SimState(state_path)
    effects = _effects(state, program)
    if effects.drop:
        return b"", 255
    if effects.hang is not None:
        time.sleep(effects.hang)
        return b"", 255
    run = run_program(state, program, args, delay=effects.latency)
    if effects.lost_reply is not None:
        time.sleep(effects.lost_reply)
        return b"", 255
    text = run.output
    if run.cli_format is not None:
        # The CLI's JSON names the script with .pl (cli_list-domains_json.txt).
        result = envelope.convert(program, run.output, run.exit_code, command_name=f"{program}.pl",
                                  multiline=run.multiline, name_only=run.name_only)
        if run.cli_format == "xml":
            text = envelope.encode_xml(result)
        else:
            rng = None if os.environ.get("PRAHO_SIM_SHUFFLE") == "0" else random.Random()
            text = envelope.encode_json(result, rng=rng)
    data = text.encode("utf-8")
    if effects.truncate is not None:
        data = data[: effects.truncate]
    return data, run.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    state_path = os.environ.get("PRAHO_SIM_STATE")
    if len(args) >= 2 and args[0] == "--state":
        state_path = args[1]
        args = args[2:]
    elif args and args[0].startswith("--state="):
        state_path = args[0].split("=", 1)[1]
        args = args[1:]
    if not state_path:
        sys.stderr.write("virtualmin (praho simulator): no state file; use --state FILE or PRAHO_SIM_STATE\n")
        return 1
    try:
        data, code = execute(state_path, args)
    except Exception as exc:  # an uncaught Perl die exits 255 with the message on stderr
        sys.stderr.write(f"virtualmin (praho simulator): {type(exc).__name__}: {exc}\n")
        return 255
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return code


def write_virtualmin_wrapper(bin_dir: str | os.PathLike[str], state_path: str | os.PathLike[str]) -> Path:
    """Write an executable ``bin_dir/virtualmin`` that runs this command on ``state_path`` with the
    current interpreter; put ``bin_dir`` first on a test host's PATH (e.g. for a loopback sshd)."""
    directory = Path(bin_dir)
    directory.mkdir(parents=True, exist_ok=True)
    package_root = Path(__file__).resolve().parents[3]
    script = directory / "virtualmin"
    script.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(package_root))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f"exec {shlex.quote(sys.executable)} -m praho_cli.virtualmin.simulator "
        f"--state {shlex.quote(str(Path(state_path).absolute()))} \"$@\"\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


if __name__ == "__main__":
    sys.exit(main())
