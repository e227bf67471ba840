"""The pages in a real browser: /docs, /reset, /verify, /verify-email-change, /invite, /account."""

from conftest import (
    BASE_URL,
    PASSWORD,
    cli,
    csp_violations,
    login,
    mailed_token,
    new_email,
    register,
    request,
    screenshot,
    session_id,
    totp,
    totp_step,
    wait,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

PAGES = ["/docs", "/verify", "/verify-email-change", "/reset", "/invite", "/account"]


def css(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def visible(selector):
    return EC.visibility_of_element_located((By.CSS_SELECTOR, selector))


def status_says(text):
    return EC.text_to_be_present_in_element((By.ID, "status"), text)


def fill(driver, field_id, value):
    field = css(driver, f"#{field_id}")
    field.clear()
    field.send_keys(value)


def open_with_token(driver, path, token):
    driver.get(f"{BASE_URL}{path}?token={token}")
    # The token leaves the URL (and the history entry) before the page does anything else.
    wait(driver, lambda d: d.current_url == f"{BASE_URL}{path}")


def test_every_page_sends_the_security_headers():
    for path in PAGES + ["/assets/common.js", "/assets/swagger-ui-5.35.0/swagger-ui-bundle.js"]:
        response = request("GET", path)
        assert response.status == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp, (path, csp)
        assert "frame-ancestors 'none'" in csp, (path, csp)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        cache = response.headers["Cache-Control"]
        assert cache == "no-store" if not path.startswith("/assets/") else "max-age" in cache, (path, cache)
    assert "style-src 'self';" in request("GET", "/account").headers["Content-Security-Policy"]


def test_docs_authorize_with_the_password_flow_then_try_auth_me(browser):
    email = register(new_email("docs"))
    browser.get(f"{BASE_URL}/docs")
    # Swagger UI parses a 1.5 MB bundle and the whole document first: over 30 s on a starved CPU.
    wait(browser, visible(".auth-wrapper button.authorize"), seconds=120).click()
    wait(browser, visible("#oauth_username")).send_keys(email)
    css(browser, "#oauth_password").send_keys(PASSWORD)
    css(browser, ".auth-btn-wrapper button.authorize").click()
    wait(browser, lambda d: "Authorized" in css(d, ".modal-ux").text)
    css(browser, ".modal-ux button.close-modal").click()

    me = css(browser, ".opblock-get:has([data-path='/api/v1/auth/me'])")
    me.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait(browser, lambda d: me.find_element(By.CSS_SELECTOR, "button.try-out__btn")).click()
    wait(browser, lambda d: me.find_element(By.CSS_SELECTOR, "button.execute")).click()
    live = wait(browser, lambda d: me.find_element(By.CSS_SELECTOR, ".live-responses-table .response"))
    wait(browser, lambda d: email in live.text)
    assert live.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip().startswith("200")
    browser.execute_script("arguments[0].scrollIntoView()", me)
    screenshot(browser, "docs", full_page=False)
    assert csp_violations(browser) == []


def test_reset_link_sets_a_new_password_that_logs_in_over_the_api(browser):
    email = register(new_email("reset"))
    assert request("POST", "/api/v1/auth/password-reset/request", {"email": email}).status == 200
    token = mailed_token(email, "Reset your password")
    open_with_token(browser, "/reset", token)
    assert "8 to 128 characters" in css(browser, "#rules").text
    fill(browser, "new_password", "Brand-new-pass-42")
    fill(browser, "confirm", "Brand-new-pass-42")
    screenshot(browser, "reset-form")
    css(browser, "#reset-form button").click()
    wait(browser, status_says("Your password has been changed"))
    assert token not in browser.current_url
    screenshot(browser, "reset")
    assert login(email, "Brand-new-pass-42")
    assert login(email) is None
    assert csp_violations(browser) == []


def test_reset_page_shows_why_a_password_is_refused(browser):
    email = register(new_email("reset-weak"))
    request("POST", "/api/v1/auth/password-reset/request", {"email": email})
    open_with_token(browser, "/reset", mailed_token(email, "Reset your password"))
    fill(browser, "new_password", "password123")
    fill(browser, "confirm", "password123")
    css(browser, "#reset-form button").click()
    wait(browser, lambda d: css(d, "#alert").text != "")
    assert css(browser, "#reset-form").is_displayed()


def test_verification_link_verifies_the_email(browser):
    email = register(new_email("verify"))
    token = mailed_token(email, "Verify your email address")
    open_with_token(browser, "/verify", token)
    wait(browser, status_says("Your email address is verified"))
    screenshot(browser, "verify")
    assert request("GET", "/api/v1/auth/me", token=login(email)).json()["is_verified"] is True
    # A second use of the same link is refused, and the page says so.
    open_with_token(browser, "/verify", token)
    wait(browser, lambda d: css(d, "#alert").text != "")


def test_email_change_link_moves_the_account(browser):
    email = register(new_email("move"))
    token = login(email)
    moved = new_email("moved")
    asked = request("POST", "/api/v1/auth/change-email", {"new_email": moved, "password": PASSWORD}, token=token)
    assert asked.status == 200, asked.body
    change = mailed_token(moved, "Confirm your new email address")
    open_with_token(browser, "/verify-email-change", change)
    wait(browser, status_says("Your account now uses this email address"))
    screenshot(browser, "verify-email-change")
    me = request("GET", "/api/v1/auth/me", token=token).json()
    assert (me["email"], me["is_verified"]) == (moved, True)
    # A second use of the same link is refused, and the page says so.
    open_with_token(browser, "/verify-email-change", change)
    wait(browser, lambda d: css(d, "#alert").text != "")


def test_account_changes_the_password_and_closes_the_account(browser):
    email = register(new_email("self"))
    other = login(email)
    browser.get(f"{BASE_URL}/account")
    wait(browser, visible("#email")).send_keys(email)
    css(browser, "#password").send_keys(PASSWORD)
    css(browser, "#sign-in-form button").click()
    wait(browser, visible("#account"))

    fill(browser, "current-password", "Wrong1234!")
    fill(browser, "new-password", "NewSecret5678!")
    css(browser, "#change-password-form button").click()
    wait(browser, lambda d: "Incorrect password" in css(d, "#alert").text)
    fill(browser, "current-password", PASSWORD)
    fill(browser, "new-password", "NewSecret5678!")
    css(browser, "#change-password-form button").click()
    wait(browser, status_says("Password changed"))
    assert request("GET", "/api/v1/auth/me", token=other).status == 401, "the other session ended"
    browser.refresh()
    wait(browser, visible("#account"))  # this browser's session lives on

    fill(browser, "new-email", new_email("moved"))
    fill(browser, "email-password", "NewSecret5678!")
    css(browser, "#change-email-form button").click()
    wait(browser, status_says("confirmation link is on its way"))
    screenshot(browser, "account-credentials")

    fill(browser, "close-password", "NewSecret5678!")
    css(browser, "#close-form button").click()
    wait(browser, status_says("Your account is closed"))
    wait(browser, visible("#sign-in"))
    assert login(email, "NewSecret5678!") is None
    assert csp_violations(browser) == []


def create_org(owner_token, name):
    slug = name.lower().replace(" ", "-")
    response = request("POST", "/api/v1/orgs", {"name": name, "slug": slug}, token=owner_token)
    assert response.status == 201, response.body
    return response.json()["id"]


def invite(owner_token, org_id, email, role):
    response = request("POST", f"/api/v1/orgs/{org_id}/invites", {"email": email, "role": role}, token=owner_token)
    assert response.status in (200, 201), response.body
    body = response.json()
    assert body["status"] == "pending", body
    return body["token"]


def test_invite_link_signs_in_and_accepts(browser):
    owner_token = login(register(new_email("owner")))
    name = f"Invited {new_email('org').split('@')[0]}"
    org_id = create_org(owner_token, name)
    invitee = new_email("invitee")
    token = invite(owner_token, org_id, invitee, "admin")
    # An account made by an operator after the invite: it has not joined yet.
    cli("auth", "create-test-user", "--email", invitee, "--password", PASSWORD)

    open_with_token(browser, "/invite", token)
    wait(browser, visible("#sign-in-email")).send_keys(invitee)
    css(browser, "#sign-in-password").send_keys(PASSWORD)
    css(browser, "#sign-in-form button").click()
    wait(browser, visible("#joined"))
    assert css(browser, "#org-name").text == name
    assert css(browser, "#org-role").text == "admin"
    screenshot(browser, "invite")
    members = request("GET", f"/api/v1/orgs/{org_id}/members", token=owner_token).json()
    assert len(members) == 2
    assert csp_violations(browser) == []


def test_invite_link_registers_a_new_account_that_joins(browser):
    owner_token = login(register(new_email("owner")))
    name = f"New {new_email('org').split('@')[0]}"
    org_id = create_org(owner_token, name)
    invitee = new_email("newcomer")
    token = invite(owner_token, org_id, invitee, "member")

    open_with_token(browser, "/invite", token)
    wait(browser, visible("#register-email")).send_keys(invitee)
    css(browser, "#register-name").send_keys("New Comer")
    css(browser, "#register-password").send_keys(PASSWORD)
    css(browser, "#register-form button").click()
    wait(browser, visible("#joined"))
    assert css(browser, "#org-name").text == name
    assert css(browser, "#org-role").text == "member"
    screenshot(browser, "invite-register")
    members = request("GET", f"/api/v1/orgs/{org_id}/members", token=owner_token).json()
    assert len(members) == 2


def test_account_signs_in_and_revokes_another_session(browser):
    email = register(new_email("account"))
    other = login(email)
    assert request("GET", "/api/v1/auth/me", token=other).status == 200
    create_org(login(email), f"Acme {new_email('org').split('@')[0]}")

    browser.get(f"{BASE_URL}/account")
    wait(browser, visible("#email")).send_keys(email)
    css(browser, "#password").send_keys(PASSWORD)
    css(browser, "#sign-in-form button").click()
    wait(browser, visible("#account"))
    assert css(browser, "#profile-email").text == email
    assert css(browser, "#profile-verified").text == "Not verified yet"
    assert css(browser, "#resend").is_displayed()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#orgs-list li")) == 1)
    row = f"#sessions-body tr[data-session-id='{session_id(other)}']"
    wait(browser, visible(row))
    screenshot(browser, "account")

    css(browser, f"{row} button.revoke").click()
    wait(browser, status_says("Session revoked"))
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    assert request("GET", "/api/v1/auth/me", token=other).status == 401

    css(browser, "#resend").click()
    wait(browser, status_says("verification email is on its way"))

    css(browser, "#sign-out").click()
    wait(browser, visible("#sign-in"))
    browser.refresh()
    wait(browser, visible("#sign-in"))
    assert csp_violations(browser) == []


def enter_password(driver, email, password=PASSWORD):
    """The first step of signing in on /account (the page is open and signed out)."""
    fill(driver, "email", email)
    fill(driver, "password", password)
    css(driver, "#sign-in-form button").click()


def wait_for_account(driver):
    """/account shows the account with its sessions and organizations drawn: they move what is
    below them, so a click before they arrive can miss its button."""
    wait(driver, visible("#account"))
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions-body tr"))
    wait(driver, lambda d: css(d, "#no-orgs").is_displayed() or d.find_elements(By.CSS_SELECTOR, "#orgs-list li"))


def start_enrolment(driver):
    """Sets up on /account with the password; the enrolment (QR code, key, code field) shows."""
    fill(driver, "mfa-password", PASSWORD)
    css(driver, "#mfa-setup-form button").click()
    wait(driver, lambda d: css(d, "#mfa-enrolment").is_displayed() or css(d, "#alert").text)
    assert css(driver, "#mfa-enrolment").is_displayed(), css(driver, "#alert").text


def next_code(secret, used_step):
    """The step and code of the next code the API accepts after `used_step`: the current step's,
    or the step after `used_step`, which one step of clock skew lets in early."""
    step = max(used_step + 1, totp_step())
    return step, totp(secret, step)


def recovery_codes(driver):
    wait(driver, visible("#recovery-codes"))
    codes = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes-list li")]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    return codes


def sign_out(driver):
    css(driver, "#sign-out").click()
    wait(driver, visible("#sign-in"))


def test_account_sets_up_two_step_sign_in_signs_in_with_codes_and_turns_it_off(browser):
    email = register(new_email("mfa"))
    browser.get(f"{BASE_URL}/account")
    wait(browser, visible("#email"))
    enter_password(browser, email)
    wait_for_account(browser)
    assert css(browser, "#mfa-state").text.startswith("Off")

    # Set up: the password, then the QR code (an SVG image from a data: URL) and the key as text.
    start_enrolment(browser)
    assert not css(browser, "#mfa-setup-form").is_displayed()
    secret = css(browser, "#mfa-secret").text
    qr = css(browser, "#mfa-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    wait(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr))
    screenshot(browser, "account-mfa-enrolment")

    used_step = totp_step()
    fill(browser, "mfa-confirm-code", totp(secret, used_step))
    css(browser, "#mfa-confirm-form button").click()
    wait(browser, status_says("Two-step sign-in is on"))
    first_codes = recovery_codes(browser)
    assert not css(browser, "#mfa-enrolment").is_displayed()
    assert css(browser, "#mfa-state").text.startswith("On")
    assert login(email) is None, "the password alone no longer signs in"

    # This session was signed in with the password alone: the API's 403 is shown.
    css(browser, "#recovery-codes-stored").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#recovery-codes-list li"))
    css(browser, "#mfa-new-codes").click()
    wait(browser, lambda d: "signed in with the second factor" in css(d, "#alert").text)

    # Two steps: the password, then a wrong code (refused, the step stays) and the app's code.
    sign_out(browser)
    enter_password(browser, email)
    wait(browser, visible("#totp-code"))
    assert not css(browser, "#sign-in-form").is_displayed()
    css(browser, "#start-over").click()
    wait(browser, visible("#sign-in-form"))
    assert css(browser, "#email").get_attribute("value") == email
    enter_password(browser, email)
    wait(browser, visible("#totp-code"))
    used_step, code = next_code(secret, used_step)
    accepted = {totp(secret, step) for step in range(used_step - 2, used_step + 3)}
    fill(browser, "totp-code", next(wrong for wrong in ("000000", "111111", "222222") if wrong not in accepted))
    css(browser, "#second-step-form button[type=submit]").click()
    wait(browser, lambda d: "Invalid code" in css(d, "#alert").text)
    fill(browser, "totp-code", code)
    css(browser, "#second-step-form button[type=submit]").click()
    wait_for_account(browser)
    assert css(browser, "#profile-email").text == email

    # Signed in with the factor: new recovery codes replace the first ones.
    css(browser, "#mfa-new-codes").click()
    wait(browser, status_says("New recovery codes"))
    new_codes = recovery_codes(browser)
    assert not set(new_codes) & set(first_codes)

    # Two steps with a recovery code: a replaced one is refused, a new one signs in.
    sign_out(browser)
    enter_password(browser, email)
    wait(browser, visible("#switch-answer")).click()
    wait(browser, visible("#recovery-code"))
    assert not css(browser, "#totp-code").is_displayed()
    fill(browser, "recovery-code", first_codes[0])
    css(browser, "#second-step-form button[type=submit]").click()
    wait(browser, lambda d: "Invalid code" in css(d, "#alert").text)
    fill(browser, "recovery-code", new_codes[0].lower())
    css(browser, "#second-step-form button[type=submit]").click()
    wait_for_account(browser)

    css(browser, "#mfa-turn-off").click()
    wait(browser, status_says("Two-step sign-in is off"))
    assert css(browser, "#mfa-state").text.startswith("Off")
    assert css(browser, "#mfa-setup-form").is_displayed()
    assert login(email), "the password alone signs in again"
    assert csp_violations(browser) == []
