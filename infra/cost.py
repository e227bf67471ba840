#!/usr/bin/env python3
"""`make cost`: renders COST.md from a bench run (bench/results.json, written by `make bench`).

Everything measured comes from the JSON; everything assumed is a named constant below. Nothing here
is fetched from AWS: the prices are public us-east-1 list prices as of PRICES_TAKEN and must be
re-checked before anyone relies on them.
"""

import json
import math
import sys

# --- Prices: us-east-1 public list prices, USD. Taken (from memory of the public price pages)
# on PRICES_TAKEN; re-check them at aws.amazon.com/<service>/pricing before quoting a number.
PRICES_TAKEN = "2026-11-27"
DYNAMODB_PER_MILLION_WRU = 0.625  # on-demand write request units (since the Nov 2024 cut)
DYNAMODB_PER_MILLION_RRU = 0.125  # on-demand read request units
LAMBDA_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}  # first pricing tier
LAMBDA_PER_MILLION_REQUESTS = 0.20
HTTP_API_PER_MILLION_REQUESTS = 1.00  # first 300 M requests a month, 512 KB units
CLOUDWATCH_LOGS_PER_GB_INGESTED = 0.50  # standard log class
SES_PER_THOUSAND_EMAILS = 0.10  # outbound, from Lambda (no EC2 free tier)
COGNITO_FREE_MAU = 10_000
# Lite: tiered per MAU past the free 10,000 (upper bound of each tier, price).
COGNITO_LITE_TIERS = [(100_000, 0.0055), (1_000_000, 0.0046), (10_000_000, 0.00325), (math.inf, 0.0025)]
COGNITO_ESSENTIALS_PER_MAU = 0.015  # flat past the free 10,000

# --- Assumptions that are not prices.
# Bytes CloudWatch ingests per invocation besides the function's own lines: Lambda's JSON
# platform.start and platform.report records (~150 + ~350 bytes) and ~26 bytes of per-event
# overhead on each of the 2 + N events. An estimate, not a measurement.
PLATFORM_LOG_BYTES = 500
EVENT_OVERHEAD_BYTES = 26
# Lambda bills duration in 1 ms steps; cold starts (init, billed since Aug 2025) are left out:
# with a few-MB binary they are tens of ms once per instance, not per request.

# --- The usage profile: requests per monthly active user per month.
# A user signs in about twice a week on some device (10 logins); access tokens live 30 minutes
# (AccessTokenExpireMinutes), so an active user refreshes a couple of times a day (60); apps
# validate tokens locally with the JWKS, calling /me about once per sign-in (10); 2 logouts; 2 org
# actions (one write like creating an org or inviting, one read of the members list); 1 password
# reset a month (a deliberately pessimistic rate: it drives the mail bill); 10 % of MAU are new
# each month (register + verification mail) and 10 % accept an invite (invite mail).
PROFILE = [
    # (route measured by the bench, per MAU per month, why)
    ("POST /auth/token", 10, "login (password grant)"),
    ("POST /auth/refresh", 60, "token refresh"),
    ("GET /auth/me", 10, "/me once per sign-in"),
    ("POST /auth/logout", 2, "logout"),
    ("POST /orgs", 1, "org write (costed as creating an org)"),
    ("GET /orgs/{id}/members/details", 1, "org read (members list)"),
    ("POST /auth/password-reset/request", 1, "password reset request (+1 mail)"),
    # The confirm step's token comes by mail, so the bench cannot drive it: costed as a login
    # (it checks a token, hashes a new password and writes the user and the session index).
    ("POST /auth/token", 1, "password reset confirm (costed as a login: not measured)"),
    ("POST /auth/register", 0.1, "registration (+1 verification mail)"),
    ("POST /auth/accept-invite", 0.1, "accepting an invite (+1 invite mail)"),
]
MAILS_PER_MAU = 1 + 0.1 + 0.1
MAU_LEVELS = [10_000, 100_000, 1_000_000]
MEMORY_CHOICES = [128, 256, 512, 1024, 1769]


def load(path):
    with open(path) as f:
        return json.load(f)


def route(data, name):
    for r in data["routes"]:
        if r["route"] == name:
            return r
    raise SystemExit(f"{name} is not in the bench output: run `make bench` first")


def lambda_ms(data, r, memory_mb):
    """The bench's estimate (see bench/src/main.rs `lambda_ms`), at any memory size."""
    cpu = max(0.0, r["p50_ms"] - r["dynamodb_calls"] * data["dynamodb_local_rtt_ms"])
    share = min(1.0, memory_mb / data["mb_per_vcpu"])
    return cpu / share + r["dynamodb_calls"] * data["assumed_aws_dynamodb_rtt_ms"]


def log_bytes(r):
    return r["log_bytes"] + PLATFORM_LOG_BYTES + EVENT_OVERHEAD_BYTES * (2 + r["log_lines"])


def cognito_lite(mau):
    billable, cost, lower = max(0, mau - COGNITO_FREE_MAU), 0.0, 0
    for upper, price in COGNITO_LITE_TIERS:
        in_tier = min(billable, upper - COGNITO_FREE_MAU) - lower
        if in_tier <= 0:
            break
        cost += in_tier * price
        lower += in_tier
    return cost


def monthly(data, mau):
    """The bill per service at `mau`, from the profile."""
    bill = {"dynamodb": 0.0, "lambda_x86_64": 0.0, "lambda_arm64": 0.0, "http_api": 0.0, "logs": 0.0}
    for name, per_mau, _ in PROFILE:
        r = route(data, name)
        n = per_mau * mau
        bill["dynamodb"] += n * (
            r["read_units"] * DYNAMODB_PER_MILLION_RRU + r["write_units"] * DYNAMODB_PER_MILLION_WRU
        ) / 1e6
        gb_s = math.ceil(r["lambda_ms_estimate"]) / 1000 * r["memory_mb"] / 1024
        for arch, price in LAMBDA_PER_GB_SECOND.items():
            bill[f"lambda_{arch}"] += n * (gb_s * price + LAMBDA_PER_MILLION_REQUESTS / 1e6)
        bill["http_api"] += n * HTTP_API_PER_MILLION_REQUESTS / 1e6
        bill["logs"] += n * log_bytes(r) / 1e9 * CLOUDWATCH_LOGS_PER_GB_INGESTED
    bill["ses"] = MAILS_PER_MAU * mau * SES_PER_THOUSAND_EMAILS / 1000
    return bill


def money(x):
    return f"${x:,.2f}" if x < 100 else f"${x:,.0f}"


def render(data, source):
    out = []
    w = out.append
    w("# What Gatehouse costs to run")
    w("")
    w(f"Generated by `make cost` from `{source}` (written by `make bench`); do not edit by hand.")
    w(f"Prices: us-east-1 public list prices as of {PRICES_TAKEN} (constants at the top of")
    w("`infra/cost.py`; re-check them before quoting). Free tiers (Lambda's 400,000 GB-s and 1 M")
    w("requests, DynamoDB's 25 GB) are left out, so small deployments cost less than shown.")
    w("")
    w("## Usage profile (per monthly active user, per month)")
    w("")
    w("| requests | route measured | per MAU |")
    w("|---|---|---:|")
    for name, per_mau, why in PROFILE:
        w(f"| {why} | `{name}` | {per_mau:g} |")
    w(f"| mail (reset, verification, invite) | SES | {MAILS_PER_MAU:g} |")
    w("")
    w("Why: sign-in about twice a week (10 logins); access tokens live 30 minutes, so an active user")
    w("refreshes about twice a day (60); tokens are checked locally against the JWKS, with /me about")
    w("once per sign-in; one org write and one org read; one password reset a month is pessimistic on")
    w("purpose (it drives the mail bill); 10 % of MAU register or accept an invite in a month.")
    w("")
    w("## Measured per request")
    w("")
    w("| route | function (MB) | DynamoDB calls | RRU | WRU | log bytes (app + platform) | local p50 ms | est. Lambda ms |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in data["routes"]:
        est = "-" if r["lambda_ms_estimate"] is None else f"{r['lambda_ms_estimate']:.1f}"
        p50 = "-" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        w(
            f"| `{r['route']}` | {r['function']} ({r['memory_mb']}) | {r['dynamodb_calls']} | "
            f"{r['read_units']:g} | {r['write_units']:g} | {r['log_bytes']} + {log_bytes(r) - r['log_bytes']} | {p50} | {est} |"
        )
    w("")
    w("RRU/WRU: the `ConsumedCapacity` DynamoDB Local reported with `ReturnConsumedCapacity=TOTAL`")
    w("(on-demand request units; transactions count double). A write refused by its condition is")
    w("billed but reports nothing; the measured routes are successes. Est. Lambda ms: (local p50 −")
    w(f"calls × {data['dynamodb_local_rtt_ms']:.2f} ms local round trip) × 1,769 / min(MemorySize, 1,769) + calls ×")
    w(f"{data['assumed_aws_dynamodb_rtt_ms']:g} ms assumed in-region DynamoDB round trip; a bench core is taken as one Lambda vCPU.")
    w(f"Log bytes: the function's own JSON lines at `RUST_LOG=info`, measured; plus {PLATFORM_LOG_BYTES} bytes of")
    w(f"Lambda platform records and {EVENT_OVERHEAD_BYTES} bytes per event (estimates).")
    w("")
    w("## Monthly bill")
    w("")
    w("| MAU | DynamoDB | Lambda x86_64 | Lambda arm64 | HTTP API | CloudWatch Logs | SES | **Gatehouse (arm64)** | Cognito Lite | Cognito Essentials |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mau in MAU_LEVELS:
        b = monthly(data, mau)
        total = b["dynamodb"] + b["lambda_arm64"] + b["http_api"] + b["logs"] + b["ses"]
        essentials = max(0, mau - COGNITO_FREE_MAU) * COGNITO_ESSENTIALS_PER_MAU
        w(
            f"| {mau:,} | {money(b['dynamodb'])} | {money(b['lambda_x86_64'])} | {money(b['lambda_arm64'])} | "
            f"{money(b['http_api'])} | {money(b['logs'])} | {money(b['ses'])} | **{money(total)}** | "
            f"{money(cognito_lite(mau))} | {money(essentials)} |"
        )
    w("")
    per = monthly(data, 1)
    total = per["dynamodb"] + per["lambda_arm64"] + per["http_api"] + per["logs"] + per["ses"]
    w(f"Per MAU: ${total:.5f} (arm64), of which DynamoDB ${per['dynamodb']:.5f}, Lambda ${per['lambda_arm64']:.5f},")
    w(f"HTTP API ${per['http_api']:.5f}, logs ${per['logs']:.5f}, SES ${per['ses']:.5f}. Cognito's prices are for")
    w("the user directory alone; DynamoDB storage (~1–2 KB per user, $0.25/GB-month) and the Secrets")
    w("Manager secret ($0.40/month) are small enough to leave out.")
    w("")
    w("What drives the bill (share of the arm64 total, per route of the profile):")
    w("")
    w("| requests | per MAU | DynamoDB $/1k MAU | Lambda $/1k MAU | share of total |")
    w("|---|---:|---:|---:|---:|")
    for name, per_mau, why in PROFILE:
        r = route(data, name)
        ddb = 1000 * per_mau * (r["read_units"] * DYNAMODB_PER_MILLION_RRU + r["write_units"] * DYNAMODB_PER_MILLION_WRU) / 1e6
        lam = 1000 * per_mau * (
            math.ceil(r["lambda_ms_estimate"]) / 1000 * r["memory_mb"] / 1024 * LAMBDA_PER_GB_SECOND["arm64"]
            + LAMBDA_PER_MILLION_REQUESTS / 1e6
        )
        other = 1000 * per_mau * (HTTP_API_PER_MILLION_REQUESTS / 1e6 + log_bytes(r) / 1e9 * CLOUDWATCH_LOGS_PER_GB_INGESTED)
        w(f"| {why} | {per_mau:g} | {ddb:.4f} | {lam:.4f} | {(ddb + lam + other) / (1000 * total):.0%} |")
    w(f"| mail | {MAILS_PER_MAU:g} | | | {per['ses'] / total:.0%} |")
    w("")
    w("## Lambda memory size")
    w("")
    verify = data["argon2_verify_ms"]
    login = route(data, "POST /auth/token")
    w(f"Lambda gives CPU in proportion to memory: 1,769 MB is one vCPU. One Argon2id verification")
    w(f"(m=19456, t=2, p=1) took {verify:.1f} ms on one bench core; a login is that plus its other CPU work")
    w(f"and {login['dynamodb_calls']} DynamoDB round trips. Estimated login duration and cost by memory size:")
    w("")
    w("| MemorySize | CPU share | Argon2 verify ms | login ms | GB-s per login | $ per 1 M logins (arm64) |")
    w("|---:|---:|---:|---:|---:|---:|")
    for mb in MEMORY_CHOICES:
        share = min(1.0, mb / data["mb_per_vcpu"])
        ms = lambda_ms(data, login, mb)
        gb_s = math.ceil(ms) / 1000 * mb / 1024
        cost = 1e6 * (gb_s * LAMBDA_PER_GB_SECOND["arm64"] + LAMBDA_PER_MILLION_REQUESTS / 1e6)
        w(f"| {mb} | {share:.2f} | {verify / share:.0f} | {ms:.0f} | {gb_s:.4f} | ${cost:.2f} |")
    w("")
    w("The CPU-bound part costs the same GB-seconds at any size (half the memory, twice the time);")
    w("only the DynamoDB waits get dearer with memory. Per function, the profile's requests to it at")
    w("each size: the slowest route's estimated duration, and the Lambda bill (arm64, duration +")
    w("requests) per 1,000 MAU-month:")
    w("")
    w("| function | template | " + " | ".join(f"{mb} MB" for mb in MEMORY_CHOICES) + " |")
    w("|---|---:|" + "---:|" * len(MEMORY_CHOICES))
    for fn in data["functions"]:
        used = [(name, n) for name, n, _ in PROFILE if route(data, name)["function"] == fn["function"]]
        if not used:
            continue
        cells = []
        for mb in MEMORY_CHOICES:
            cost, slowest = 0.0, ("", 0.0)
            for name, n in used:
                ms = lambda_ms(data, route(data, name), mb)
                slowest = max(slowest, (name.split(" ", 1)[1], ms), key=lambda x: x[1])
                cost += 1000 * n * (
                    math.ceil(ms) / 1000 * mb / 1024 * LAMBDA_PER_GB_SECOND["arm64"] + LAMBDA_PER_MILLION_REQUESTS / 1e6
                )
            cells.append(f"${cost:.4f} ({slowest[0]} {slowest[1]:.0f} ms)")
        w(f"| {fn['function']} | {fn['memory_mb']} MB | " + " | ".join(cells) + " |")
    w("")
    w(MEMORY_NOTE)
    w("")
    w("## Function binaries")
    w("")
    w("| function | stripped release size | MemorySize |")
    w("|---|---:|---:|")
    for fn in data["functions"]:
        w(f"| {fn['function']} | {fn['size_bytes'] / 1e6:.2f} MB | {fn['memory_mb']} MB |")
    w("")
    return "\n".join(out)


# The choice made from the table above (kept in words here so the generated file states it).
MEMORY_NOTE = """Choice (figures from the run of 2026-11-27; the template's defaults, kept): **auth 1024 MB.** Its bill is dominated by the Argon2
verification of logins and registrations; Lambda is a small share of the total at any size
(see the bill above: DynamoDB is about half of it), so the size is a latency decision. At 1024 MB a
login is estimated at ~80 ms on Lambda (the hash ~42 ms at 0.58 vCPU) against ~130 ms at 512 MB
and ~58 ms at 1769 MB; per login, 1024 MB costs ~20 % more than 512 MB and 1769 MB another ~20 %;
for the whole auth function 1769 MB would cost ~25 % more than 1024 MB, mostly on the 60 refreshes
per MAU, which wait on DynamoDB, not the CPU. The rule used: the cheapest size that keeps a login
under 100 ms. **users 512 MB**: not benched
here (its routes are admin reads/writes plus password changes, which hash): half of auth's
share keeps a password change near 130 ms. **orgs 256 MB**: no hashing, so its routes are
DynamoDB waits and memory is mostly cost; 128 MB would save nothing measurable at this profile
(two org requests per MAU) but stretch `POST /orgs` (7 calls, JSON and JWT work) to ~75 ms. **web 128 MB**: static
pages. **seed 1024 MB**: runs once per deployment. The estimate assumes the bench core equals a
Lambda vCPU; on arm64 (Graviton) Argon2 may be somewhat slower per core — measure before
switching the `Architecture` parameter for latency reasons."""


if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else "bench/results.json"
    print(render(load(source), source))
