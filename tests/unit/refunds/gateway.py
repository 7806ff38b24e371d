"""A fake payment gateway used as `refunds.command` in tests.

It behaves like a real one that deduplicates on the idempotency key: a key it has paid before is
answered with the same transfer, never paid again. The behaviour of the next call is read from
``STATE/mode`` so a test can change it between `refunds create` and `refunds reconcile`:
ok, fail, tempfail, hang (before paying) and pay-then-hang (pays, then never answers); fail-loud and
tempfail-loud also write a long stderr holding the secret of ``GATEWAY_API_KEY``.
"""

import json
import os
import sys
import time
from pathlib import Path

state = Path(sys.argv[1])
refund = json.load(sys.stdin)
key = os.environ["PRAHO_IDEMPOTENCY_KEY"]
mode = (state / "mode").read_text().strip() if (state / "mode").exists() else "ok"
with open(state / "calls.jsonl", "a") as log:
    log.write(json.dumps({"key": key, "refund_id": os.environ["PRAHO_REFUND_ID"], "mode": mode,
                          "amount_cents": refund["amount_cents"], "pid": os.getpid()}) + "\n")
paid_file = state / "paid.json"
paid = json.loads(paid_file.read_text()) if paid_file.exists() else {}


def pay() -> str:
    if key not in paid:
        paid[key] = {"transfer": f"TR-{len(paid) + 1}", "amount_cents": refund["amount_cents"]}
        paid_file.write_text(json.dumps(paid))
    return paid[key]["transfer"]


if mode == "fail":
    sys.stderr.write("gateway token sk_live_SECRET123 rejected\n")
    print(json.dumps({"error": "card expired"}))
    sys.exit(3)
if mode == "fail-loud":
    sys.stderr.write("x" * 3000 + "\n")
    sys.stderr.write(f"connecting with {os.environ.get('GATEWAY_API_KEY', '')} (password=hunter22)\n")
    sys.stderr.write("\tdeclined by the bank\x1b[31m\n")
    sys.exit(2)
if mode == "tempfail":
    sys.exit(75)
if mode == "tempfail-loud":
    sys.stderr.write(f"gateway busy; api_key: {os.environ.get('GATEWAY_API_KEY', '')}\n")
    sys.exit(75)
if mode == "hang":
    time.sleep(120)
if mode == "pay-then-hang":
    pay()
    (state / "started").write_text(str(os.getpid()))
    time.sleep(120)
print(json.dumps({"reference": pay(), "note": "ok"}))
