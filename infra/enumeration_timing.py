"""Median latency of each enumeration-sensitive case, 30 requests each (after 3 warm-ups).

Every request claims its own client address (X-Forwarded-For; the stack trusts it), so the rate
limits stay out of the way. Usage: enumeration_timing.py BASE_URL
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = sys.argv[1]
N = 30


def post(path, body, form=False):
    data = body.encode() if form else json.dumps(body).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(BASE + path, data=data, method="POST")
    request.add_header("Content-Type", kind)
    request.add_header("X-Forwarded-For", "10.%d.%d.%d" % tuple(uuid.uuid4().bytes[:3]))
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    return (time.perf_counter() - started) * 1000, status, text


def email(name):
    return f"{name}-{uuid.uuid4().hex[:12]}@example.com"


def register(address):
    _, status, _ = post("/api/v1/auth/register", {"email": address, "password": "Secret1234!"})
    assert status == 200, status


def login(address, password):
    return post("/api/v1/auth/token", f"username={address}&password={password}", form=True)


def measure(name, call):
    for _ in range(3):
        call()
    samples, answers = [], set()
    for _ in range(N):
        ms, status, text = call()
        samples.append(ms)
        answers.add((status, text))
    answer = " | ".join(f"{s} {t.decode()}" for s, t in sorted(answers))
    print(f"{name:<32} median {statistics.median(samples):7.1f} ms   answer: {answer}")


known = [email("known") for _ in range(N + 3)]
for address in known:
    register(address)
locked = email("locked")
register(locked)
for _ in range(5):
    login(locked, "WrongPass1!")

wrong_password = iter(known)
measure("login, unknown email", lambda: login(email("ghost"), "WrongPass1!"))
measure("login, wrong password", lambda: login(next(wrong_password), "WrongPass1!"))
measure("login, locked account", lambda: login(locked, "Secret1234!"))
measure("login, locked unknown email", lambda: (lambda a: ([login(a, "x") for _ in range(5)], login(a, "x"))[1])(email("ghost")))
known_for_reset = iter(known)
measure("reset request, known email", lambda: post("/api/v1/auth/password-reset/request", {"email": next(known_for_reset)}))
measure("reset request, unknown email", lambda: post("/api/v1/auth/password-reset/request", {"email": email("ghost")}))
