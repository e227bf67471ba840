"""Browser tests of the pages the `web` function serves: headless Debian Chromium driven through
chromedriver (Selenium), against the stack `make test` starts (`GATEHOUSE_URL`), with the admin CLI
(`GATEHOUSE_CLI`); mail is read back from the SMTP server's inbox (`MAILDEV_URL`). Screenshots go to `BROWSER_OUTPUT`."""

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

BASE_URL = os.environ["GATEHOUSE_URL"].rstrip("/")
CLI = os.environ["GATEHOUSE_CLI"]
OUTPUT = Path(os.environ.get("BROWSER_OUTPUT", tempfile.mkdtemp(prefix="gatehouse-browser-")))
PASSWORD = "Secret1234!"

# Each API call from the tests claims an address of its own (TRUST_PROXY_HEADERS=true), so the
# tests never share a rate-limit bucket with each other or with the browser.
_addresses = itertools.count(1)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def request(method, path, json_body=None, form=None, token=None, headers=None):
    """One HTTP request to the stack; never raises on an HTTP status."""
    n = next(_addresses)
    all_headers = {"X-Forwarded-For": f"198.51.{(n // 250) % 250}.{n % 250 + 1}"}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    req = urllib.request.Request(BASE_URL + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def new_email(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def register(email, password=PASSWORD):
    response = request("POST", "/api/v1/auth/register", {"email": email, "password": password})
    assert response.status == 200, response.body
    return email


def login(email, password=PASSWORD):
    """The access token of a new session, or None when the login is refused."""
    response = request("POST", "/api/v1/auth/token", form={"username": email, "password": password})
    return response.json()["access_token"] if response.status == 200 else None


def session_id(access_token):
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


def cli(*args):
    result = subprocess.run([CLI, "--endpoint", BASE_URL, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def mailed_token(email, subject, seconds=30):
    """The token of the link in the newest mail to `email` with `subject`, read back from the
    SMTP server's inbox (maildev's REST API at `MAILDEV_URL`) as a person would click it; the
    mailer sends after the API has answered, so it waits for the mail to arrive."""
    maildev = os.environ["MAILDEV_URL"].rstrip("/")
    link = re.compile(re.escape(os.environ.get("PUBLIC_URL", BASE_URL).rstrip("/")) + r"/[\w-]+\?token=([A-Za-z0-9_-]{43})")
    deadline = time.monotonic() + seconds
    while True:
        with urllib.request.urlopen(f"{maildev}/api/email") as response:
            messages = json.load(response)
        for message in reversed(messages):
            to = [a.get("address") for a in message.get("envelope", {}).get("to", [])]
            if email in to and message.get("subject") == subject:
                match = link.search(message.get("text", ""))
                assert match, message.get("text")
                return match.group(1)
        assert time.monotonic() < deadline, f"no mail {subject!r} to {email} within {seconds} s"
        time.sleep(0.25)


TOTP_STEP_SECONDS = 30


def totp_step():
    """The current TOTP time step (RFC 6238: 30-second steps since the Unix epoch)."""
    return int(time.time()) // TOTP_STEP_SECONDS


def totp(secret, step):
    """The 6-digit TOTP code (RFC 6238 over RFC 4226's HOTP, HMAC-SHA-1) of the base32 `secret` at
    time `step`: what an authenticator app shows."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,1100",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, seconds=30):
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)


def screenshot(driver, name, full_page=True):
    """Saves `name`.png: the whole page, or only what is in view."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(max(height, 600) + 200, 4000))
    driver.save_screenshot(str(path))
    return path


def csp_violations(driver):
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def pytest_unconfigure(config):
    """The run's closing line, in the words of the other steps of `make test`."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    passed = len(reporter.stats.get("passed", []))
    failed = len(reporter.stats.get("failed", [])) + len(reporter.stats.get("error", []))
    print(f"browser: {passed} passed, {failed} failed")
