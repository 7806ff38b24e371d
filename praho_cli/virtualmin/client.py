"""Typed Virtualmin calls over any transport. Every method raises only PrahoFailure."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Literal

from praho_cli.result import ErrorCode, PrahoError, PrahoFailure, Retry
from praho_cli.virtualmin.records import (
    DomainRecord,
    DomainState,
    Limit,
    PlanRecord,
    RawRecord,
    ServerInfo,
    TemplateRecord,
    parse_domain_states,
)
from praho_cli.virtualmin.transport import TEXT_FLAG, Params, VirtualminTransport

FeatureChoice = Sequence[str] | Literal["plan", "default"]

_FEATURE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Virtualmin locks system files during mutations, so concurrent mutations on one server only queue
# up behind each other and can hit its 5-minute lock timeout (docs/virtualmin-protocol.md §4.2): one at a time.
_server_locks: dict[str, threading.Lock] = {}
_server_locks_guard = threading.Lock()


def _mutation_lock(server: str) -> threading.Lock:
    with _server_locks_guard:
        return _server_locks.setdefault(server, threading.Lock())


class VirtualminClient:
    def __init__(self, transport: VirtualminTransport) -> None:
        self.transport = transport
        self.server = transport.server

    def __repr__(self) -> str:
        return f"VirtualminClient(server={self.server!r})"

    # ------------------------------------------------------------------ helpers

    def _invalid(self, message: str) -> PrahoFailure:
        return PrahoFailure.of(ErrorCode.INVALID, f"{self.server}: {message}", server=self.server)

    def _domain(self, domain: str) -> str:
        """Stored names are lower-case and IDNA-encoded; list/delete compare them exactly
        (docs/virtualmin-protocol.md §2)."""
        if not domain or not domain.strip():
            raise self._invalid("a domain name is required")
        lowered = domain.lower()
        if lowered.isascii():
            return lowered
        try:
            return lowered.encode("idna").decode("ascii")
        except UnicodeError:
            raise self._invalid(f"{domain!r} is not a valid internationalised domain name") from None

    def _read(self, program: str, params: Params = ()) -> tuple[RawRecord, ...]:
        return self.transport.call(program, params, mutating=False).records

    def _mutate(self, program: str, params: Params) -> str:
        with _mutation_lock(self.server):
            return self.transport.call(program, params, mutating=True).output

    def _protocol(self, program: str, why: str) -> PrahoFailure:
        return PrahoFailure(
            PrahoError(
                ErrorCode.REMOTE_PROTOCOL,
                f"{self.server}: {program} {why}",
                {"server": self.server, "program": program},
                Retry.NOT_RETRIABLE,
            )
        )

    def _check_records(self, program: str, records: Sequence[RawRecord]) -> None:
        # Without multiline= remote.cgi turns each table line into a record with no fields
        # (http_list-domains.json); a record with no values means the request lost the flag.
        for record in records:
            if not record.values:
                raise self._protocol(program, f"returned a record without fields ({record.name.strip()!r})")

    # ------------------------------------------------------------------ reads

    def list_domains(self, domain: str | None = None) -> list[DomainRecord]:
        """All virtual servers, or the one named (NOT_FOUND when it does not exist)."""
        params: Params = [("domain", self._domain(domain))] if domain is not None else []
        records = self._read("list-domains", params)
        self._check_records("list-domains", records)
        return [DomainRecord.from_raw(r) for r in records]

    def list_domain_states(self, domain: str | None = None) -> list[DomainState]:
        """Who owns each virtual server, its plan, whether it is disabled and whether it is top-level:
        the lean read for scans of whole fleets (all servers, or the one named; NOT_FOUND when it does
        not exist).

        It asks for ``list-domains --simple-multiline`` text (remote.cgi's ``simple-multiline=`` without
        ``multiline=``, which returns it in ``output``; docs/virtualmin-protocol.md §1.5), which spares the
        server the per-domain quota, database and PHP lookups of ``--multiline`` (§4.1), and picks out only the
        lines it needs (records.parse_domain_states) instead of building a full record per domain.
        A reply that comes back as parsed records anyway is read from those.
        """
        params: list[tuple[str, str | None]] = [("domain", self._domain(domain))] if domain is not None else []
        params.append((TEXT_FLAG, None))
        reply = self.transport.call("list-domains", params, mutating=False)
        if reply.records:
            self._check_records("list-domains", reply.records)
            return [DomainState.from_raw(r) for r in reply.records]
        try:
            return parse_domain_states(reply.output)
        except ValueError as exc:
            raise self._protocol("list-domains", f"returned unexpected text: {exc}") from None

    def get_domain(self, domain: str) -> DomainRecord | None:
        try:
            found = self.list_domains(domain)
        except PrahoFailure as failure:
            if failure.error.code is ErrorCode.NOT_FOUND:
                return None
            raise
        wanted = self._domain(domain)
        return next((d for d in found if d.domain == wanted), None)

    def list_plans(self) -> list[PlanRecord]:
        records = self._read("list-plans")
        self._check_records("list-plans", records)
        return [PlanRecord.from_raw(r) for r in records]

    def list_templates(self) -> list[TemplateRecord]:
        records = self._read("list-templates")
        self._check_records("list-templates", records)
        return [TemplateRecord.from_raw(r) for r in records]

    def info(self) -> ServerInfo:
        # info is not a list-* program, so even in JSON mode it comes back as text (http_info.json)
        reply = self.transport.call("info", [], mutating=False)
        info = ServerInfo.from_text(reply.output)
        if not info.raw:
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_PROTOCOL,
                    f"{self.server}: info returned no system information",
                    {"server": self.server, "program": "info"},
                    Retry.NOT_RETRIABLE,
                )
            )
        return info

    # ------------------------------------------------------------------ mutations

    def create_domain(
        self,
        domain: str,
        *,
        password: str,
        user: str | None = None,
        plan: str | None = None,
        template: str | None = None,
        description: str | None = None,
        email: str | None = None,
        features: FeatureChoice = "plan",
        quota_blocks: Limit = None,
        bandwidth_bytes: int | None = None,
    ) -> str:
        """Create a top-level virtual server. Returns Virtualmin's progress text.

        ``features``: "plan" (the plan's features), "default" (the server's defaults) or a list
        of feature flags such as ``["unix", "dir", "web"]``. Quotas are in blocks (1 KiB on
        typical filesystems); leaving both limits out applies the plan's limits.
        """
        if not password:
            raise self._invalid("a password is required to create a top-level server")
        params: list[tuple[str, str | None]] = [("domain", self._domain(domain)), ("pass", password)]
        optional = (("user", user), ("desc", description), ("email", email), ("plan", plan), ("template", template))
        params += [(flag, value) for flag, value in optional if value is not None]
        if features == "plan":
            params.append(("features-from-plan", None))
        elif features == "default":
            params.append(("default-features", None))
        else:
            if isinstance(features, str) or not features:
                raise self._invalid("features must be 'plan', 'default' or a non-empty list")
            for feature in features:
                if not _FEATURE.match(feature):
                    raise self._invalid(f"{feature!r} is not a feature name")
                params.append((feature, None))
        if quota_blocks is not None:
            params.append(("quota", _quota(quota_blocks, self)))
        if bandwidth_bytes is not None:
            params.append(("bandwidth", str(_non_negative(bandwidth_bytes, "bandwidth", self))))
        return self._mutate("create-domain", params)

    def modify_domain(
        self,
        domain: str,
        *,
        password: str | None = None,
        plan: str | None = None,
        apply_plan: bool = True,
        quota_blocks: Limit = None,
        bandwidth_bytes: Limit = None,
    ) -> str:
        """Change password, plan, disk quota (blocks) or bandwidth limit (bytes).

        The plan is checked against list-plans first: modify-domain silently ignores an unknown
        plan name and still reports success (docs/virtualmin-protocol.md §2.6).
        """
        params: list[tuple[str, str | None]] = [("domain", self._domain(domain))]
        if password is not None:
            if not password:
                raise self._invalid("the new password is empty")
            params.append(("pass", password))
        if plan is not None:
            plans = self.list_plans()
            if not any(plan in (p.id, p.name) for p in plans):
                raise PrahoFailure.of(
                    ErrorCode.NOT_FOUND, f"{self.server}: no plan {plan!r} on this server", server=self.server
                )
            params.append(("apply-plan" if apply_plan else "plan", plan))
        if quota_blocks is not None:
            params.append(("quota", _quota(quota_blocks, self)))
        if bandwidth_bytes is not None:
            # modify-domain spells "no limit" NONE, unlike create-domain's UNLIMITED (docs/virtualmin-protocol.md §2.6)
            params.append(
                ("bw", "NONE" if bandwidth_bytes == "unlimited" else str(_non_negative(bandwidth_bytes, "bw", self)))
            )
        if len(params) == 1:
            raise self._invalid("nothing to modify")
        return self._mutate("modify-domain", params)

    def disable_domain(self, domain: str, reason: str | None = None) -> str:
        """Suspend. CONFLICT when it is already disabled (Virtualmin treats that as a failure)."""
        params: list[tuple[str, str | None]] = [("domain", self._domain(domain))]
        if reason is not None:
            if not reason.strip():
                raise self._invalid("the disable reason is empty")
            params.append(("why", reason))
        return self._mutate("disable-domain", params)

    def enable_domain(self, domain: str) -> str:
        """Unsuspend. CONFLICT when it is not disabled."""
        return self._mutate("enable-domain", [("domain", self._domain(domain))])

    def delete_domain(self, domain: str) -> str:
        """Delete the server with its sub-servers and aliases. NOT_FOUND when it does not exist."""
        return self._mutate("delete-domain", [("domain", self._domain(domain))])

    def close(self) -> None:
        self.transport.close()


def _non_negative(value: object, what: str, client: VirtualminClient) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise client._invalid(f"{what} must be a non-negative integer or 'unlimited'")
    return value


def _quota(value: Limit, client: VirtualminClient) -> str:
    if value == "unlimited":
        return "UNLIMITED"
    return str(_non_negative(value, "quota", client))
