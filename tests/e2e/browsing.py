"""What the browser tests share: where Chromium is, the screen sizes, signing in, screenshots
(saved as test artifacts under test-artifacts/)."""
from pathlib import Path

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")
    page.wait_for_url("**/operacion/ticket")


def open_user_menu(page) -> None:
    """Open the navbar's user menu (language, time zone, sign out); on a phone the collapsed
    menu first."""
    toggler = page.locator("nav .navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    if page.get_attribute("#user-menu", "aria-expanded") != "true":
        page.click("#user-menu")


def sign_out(page) -> None:
    open_user_menu(page)
    page.click("nav form[action$='/logout'] button")
    page.wait_for_url("**/login")
