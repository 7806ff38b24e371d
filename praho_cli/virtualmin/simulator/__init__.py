"""The built-in Virtualmin simulator: remote.cgi over HTTP(S) and a ``virtualmin`` command for SSH.

It reproduces the captured responses of Virtualmin GPL 8.1.0 on Webmin 2.660
(``virtualmin-captures/``): HTTP/1.0, ``Content-type`` spelling, JSON envelopes, text mode with
``Exit status: N×256``, the forced-multiline quirk, 401 with the Webmin realm and a host block after
5 bad passwords. Programs: list-domains, create-domain, modify-domain, disable-domain, enable-domain,
delete-domain, list-plans, list-templates, info.

Public API (import from this package)::

    from praho_cli.virtualmin.simulator import SimState, Fault, serve, serve_many, write_virtualmin_wrapper

    state = SimState(tmp_path / "vm1.json")          # one JSON file = one server; created if missing
    state.seed_domains(f"d{i}.test" for i in range(1000))   # one write, fast
    state.add_plan("Gold", quota=1048576)            # plans/templates: default ones are seeded
    state.configure(quotas_enabled=True)             # server settings (state.DEFAULT_SETTINGS)
    state.password_matches("d1.test", "seed-password")   # passwords are stored as SHA-256 only

    with serve(state, password="pw", faults=[Fault("latency", seconds=0.2)]) as vm:
        vm.url          # http://127.0.0.1:PORT      (base URL; tls=True gives https and vm.cert_path,
        vm.remote_url   # …/virtual-server/remote.cgi  vm.fingerprint_sha256 "AA:BB:…")
        vm.set_faults([Fault("http_error", status=503, after=3)])   # change at run time
        vm.stats()      # {"calls": n, "by_program": {...}}

    with serve_many(3, tmp_path / "fleet", password="pw") as fleet:   # one port per server
        [s.url for s in fleet]                                      # state in fleet/vm1.json …

Several servers: **one port per server** (each is a separate ``SimServer`` with the standard
``/virtual-server/remote.cgi`` path), all in one process through :class:`Simulator`.

Faults (:class:`Fault`, see ``faults.py``): ``latency``, ``hang``, ``http_error``, ``drop``,
``truncate``, ``lost_reply`` (applied, reply lost), each optionally limited to programs and to the
calls after the first ``after`` (``times`` limits how often). Set them at start (``faults=``), at run
time (``SimServer.set_faults``), out of process through the admin endpoint (``POST
/__praho_sim__/faults`` with a JSON list, Basic auth; ``GET /__praho_sim__/stats``; ``POST
/__praho_sim__/unblock``) or in the state file (``SimState.set_faults``), which the HTTP servers and
the ``virtualmin`` command both honour.

Mutations on one server are serialised by an exclusive lock on the state file, with the injected
latency spent inside the lock, so concurrent creates queue like Virtualmin's; reads do not wait.

SSH path: ``python -m praho_cli.virtualmin.simulator [--state FILE] PROGRAM --flag value …``
(or ``PRAHO_SIM_STATE``); :func:`write_virtualmin_wrapper` writes an executable named ``virtualmin``.
"""

from praho_cli.virtualmin.simulator.command import write_virtualmin_wrapper
from praho_cli.virtualmin.simulator.faults import Fault
from praho_cli.virtualmin.simulator.server import SimServer, Simulator, serve, serve_many
from praho_cli.virtualmin.simulator.state import SimState

__all__ = ["Fault", "SimServer", "SimState", "Simulator", "serve", "serve_many", "write_virtualmin_wrapper"]
