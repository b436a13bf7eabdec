"""The studio page in a real headless Chromium against a real `sayso serve`: what a user
sees from a photo to a shared, remixed, verified video. A screenshot of every step goes
to $SAYSO_SCREENSHOTS (else tmp_path/screens), laptop and phone sizes."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import JavascriptException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT.parent / "shared" / "photos"
SPEECH = ROOT.parent / "shared" / "speech"
CHROMIUM = Path(os.environ.get("SAYSO_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("SAYSO_CHROMEDRIVER", "/usr/bin/chromedriver"))
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900")
LAPTOP = (1280, 900)
PHONE = (390, 844)
RENDER = 300  # seconds a render may take on a slow, busy machine (usually 3-10 s)
UI = 30  # seconds for anything the page does without a render

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(f"the browser tests need {CHROMIUM} and {CHROMEDRIVER}", allow_module_level=True)


# ------------------------------------------------------------------ browsers


class Browser:
    """One Chromium with a profile of its own (so: a new studio client, no cookies)."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="sayso-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.set_window_size(*LAPTOP)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def errors(self) -> list[str]:
        """Severe messages of the page's console: script errors, failed loads."""
        try:
            return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        except Exception:  # noqa: BLE001 - a driver without logs
            return []


@pytest.fixture
def open_browser() -> Iterator[Callable[[], Browser]]:
    started: list[Browser] = []

    def start() -> Browser:
        started.append(Browser())
        return started[-1]

    yield start
    for browser in started:
        browser.quit()


@pytest.fixture
def driver(open_browser):
    return open_browser().driver


class Screens:
    """Full-page screenshots, numbered in the order they are taken."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder, self.prefix, self.count = folder, prefix, 0
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, driver, name: str, full: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.prefix}-{self.count:02d}-{name}.png"
        if full:
            metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width = max(driver.execute_script("return window.innerWidth"), 1)
            height = min(max(size["height"], 1), 6000)
            import base64

            data = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})["data"]
            path.write_bytes(base64.b64decode(data))
        else:
            driver.save_screenshot(str(path))
        return path

    def phone(self, driver, name: str) -> Path:
        """The same page at a phone's size, then back to the laptop's."""
        driver.set_window_size(*PHONE)
        try:
            WebDriverWait(driver, UI).until(lambda d: d.execute_script("return window.innerWidth") <= PHONE[0])
            return self.shot(driver, f"{name}-phone")
        finally:
            driver.set_window_size(*LAPTOP)
            WebDriverWait(driver, UI).until(lambda d: d.execute_script("return window.innerWidth") > 1000)


@pytest.fixture
def screens(request, tmp_path) -> Screens:
    folder = Path(os.environ["SAYSO_SCREENSHOTS"]) if os.environ.get("SAYSO_SCREENSHOTS") else tmp_path / "screens"
    return Screens(folder, re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name.removeprefix("test_")))


# ------------------------------------------------------------------ helpers


def wait(driver, timeout: float = UI, poll: float = 0.1) -> WebDriverWait:
    return WebDriverWait(driver, timeout, poll_frequency=poll,
                         ignored_exceptions=(StaleElementReferenceException, JavascriptException))


def shown(driver, css: str, timeout: float = UI):
    """The element, once it is displayed."""
    return wait(driver, timeout).until(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css)
                                                       if e.is_displayed()), False), f"{css} never showed")


def text_of(driver, css: str) -> str:
    elements = driver.find_elements(By.CSS_SELECTOR, css)
    return elements[0].get_attribute("textContent").strip() if elements else ""


def text_shows(driver, css: str, wanted: str, timeout: float = UI) -> str:
    """Wait for the displayed element's text to contain wanted (case-insensitive)."""
    def found(d):
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and wanted.lower() in element.text.lower():
                return element.text
        return False
    try:
        return wait(driver, timeout).until(found)
    except Exception as error:
        raise AssertionError(f"{css} never showed {wanted!r}; it shows {text_of(driver, css)!r}") from error


def route(driver) -> str:
    return driver.execute_script("return location.hash")


def video_id_in(driver, other_than: str | None = None, timeout: float = UI) -> str:
    def found(d):
        match = re.fullmatch(r"#/v/([A-Za-z0-9_-]+)", route(d))
        return match.group(1) if match and match.group(1) != other_than else False
    return wait(driver, timeout).until(found, "the page never opened the new video")


PLAYABLE = """
const v = document.querySelector(arguments[0]);
return v ? {ready: v.readyState, duration: v.duration, error: v.error && v.error.code} : null;"""


def plays(driver, css: str, timeout: float = RENDER) -> float:
    """The <video> has loaded a frame, has a duration, and its time advances once played."""
    state = wait(driver, timeout).until(
        lambda d: (s := d.execute_script(PLAYABLE, css)) and (s["error"] or s["ready"] >= 2) and s, f"{css} never loaded")
    assert not state["error"], f"{css} failed to load: MediaError {state['error']}"
    assert state["duration"] > 0, state
    start = driver.execute_script(
        "const v = document.querySelector(arguments[0]); v.play(); return v.currentTime;", css)
    wait(driver, UI, poll=0.05).until(
        lambda d: d.execute_script("return document.querySelector(arguments[0]).currentTime", css) > start + 0.25,
        f"{css} does not advance when played")
    driver.execute_script("document.querySelector(arguments[0]).pause()", css)
    return state["duration"]


def rect(driver, element) -> dict:
    return driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return {x: r.x, y: r.y, width: r.width, height: r.height};", element)


def set_text(element, text: str) -> None:
    element.clear()
    element.send_keys(text)


def client_cookies(driver) -> dict[str, str]:
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def foreign_video(path: Path) -> Path:
    """A short H.264 clip of noise that sayso never saw."""
    import av
    import numpy as np

    noise = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(24):
            frame = av.VideoFrame.from_ndarray(noise.integers(0, 256, (240, 320, 3), dtype=np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


RECORDER = """
window.__seen = {progress: [], previews: [], requests: []};
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.id === "progress") window.__seen.progress.push(Number(r.target.getAttribute("aria-valuenow")));
  }
}).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});
document.addEventListener("load", (e) => {
  if (e.target.id === "preview-frame") window.__seen.previews.push([e.target.getAttribute("src"), e.target.naturalWidth]);
}, true);
const realFetch = window.fetch;
window.fetch = function (url, init = {}) {
  if (init.body instanceof FormData) {
    window.__seen.requests.push({url: String(url), method: init.method, form: Object.fromEntries(init.body.entries())});
  }
  return realFetch.apply(this, arguments);
};
"""


def record(driver) -> None:
    """Watch what the page does from now on: progress values, preview frames, form posts."""
    driver.execute_script(RECORDER)


def seen(driver) -> dict:
    return driver.execute_script("return window.__seen")


def open_studio(driver, studio) -> None:
    driver.get(studio.url + "/")
    if studio.token:  # a studio with workers elsewhere has a token: sign in as a user would
        shown(driver, "#screen-login")
        driver.find_element(By.ID, "login-token").send_keys(studio.token + "\n")
    shown(driver, "#screen-make")
    shown(driver, "#example-list .chip")


def upload_photo(driver, path: Path) -> None:
    driver.find_element(By.ID, "photo-input").send_keys(str(path))


def faces_drawn(driver, count: int):
    def ready(d):
        if d.find_element(By.ID, "photo-busy").is_displayed():
            return False
        faces = d.find_elements(By.CSS_SELECTOR, "#face-layer .face")
        return faces if len(faces) == count else False
    return wait(driver, RENDER).until(ready, f"the photo never showed {count} face outline(s)")


# ------------------------------------------------------------------ the tests


@pytest.fixture(params=["local", "celery"])
def any_studio(request):
    """The studio with its own render processes, and with Celery workers over Redis: the
    page must not tell them apart."""
    return request.getfixturevalue("studio" if request.param == "local" else "celery_studio")


def test_make_remix_share_and_verify(any_studio, open_browser, screens, tmp_path):
    studio = any_studio
    browser = open_browser()
    d = browser.driver
    open_studio(d, studio)
    assert "AI-generated" in d.find_element(By.CSS_SELECTOR, ".trust-line").text
    screens.shot(d, "make-empty")

    # the photo shows at once, its face outlined where the API found it
    astronaut = PHOTOS / "skimage_astronaut.png"
    upload_photo(d, astronaut)
    shown(d, "#photo-img")
    (outline,) = faces_drawn(d, 1)
    with studio.client() as api:
        found = api.post("/api/photos", files={"photo": (astronaut.name, astronaut.read_bytes(), "image/png")}).json()
    face, image = found["faces"][0], rect(d, d.find_element(By.ID, "photo-img"))
    scale = image["width"] / found["width"]
    box = rect(d, outline)
    assert abs(box["x"] - (image["x"] + face["x"] * scale)) < 3, (box, image, face)
    assert abs(box["y"] - (image["y"] + face["y"] * scale)) < 3, (box, image, face)
    assert abs(box["width"] - face["width"] * scale) < 3 and abs(box["height"] - face["height"] * scale) < 3
    assert "Face found" in d.find_element(By.ID, "face-note").text
    screens.shot(d, "photo")

    # as the prompt is typed, the plan preview says what sayso understood
    d.find_element(By.ID, "prompt").send_keys("In the golden hour she smiles and says 'Hello there, I am sayso.'")
    text_shows(d, "[data-plan=line]", "Hello there, I am sayso.")
    text_shows(d, "[data-plan=voice]", "female")
    text_shows(d, "[data-plan=expressions]", "smile")
    text_shows(d, "[data-plan=scene]", "golden-hour")
    Select(d.find_element(By.ID, "opt-size")).select_by_value("480p")
    d.find_element(By.ID, "opt-captions").click()
    screens.shot(d, "plan")
    screens.phone(d, "plan")

    # Make: a live progress bar that reaches 100 %, the first frame, then the player
    record(d)
    d.find_element(By.ID, "make-button").click()
    first = video_id_in(d)
    shown(d, "#progress")
    try:  # the first frame, while the rest renders (a fast machine may finish first)
        wait(d, RENDER, poll=0.05).until(lambda d: d.execute_script(
            "const i = document.getElementById('preview-frame'); return i && !i.hidden && i.naturalWidth > 0"))
        screens.shot(d, "rendering")
    except Exception:  # noqa: BLE001 - checked below from what the page recorded
        pass
    plays(d, "[data-figure=child] video")
    progress = seen(d)["progress"]
    assert progress and progress[-1] == 100, progress
    assert any(0 < p < 100 for p in progress), f"the bar never showed a step between 0 and 100: {progress}"
    assert progress == sorted(progress), f"the bar went backwards: {progress}"
    previews = seen(d)["previews"]
    assert previews and previews[0][1] > 0, f"no preview frame was shown: {previews}"
    assert text_of(d, "#video-state") == "done"
    downloads = {a.get_attribute("data-download"): a.get_attribute("href")
                 for a in d.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert set(downloads) == {"mp4", "captions", "srt", "recipe"}, downloads
    assert "download=1" in downloads["mp4"] and downloads["srt"].endswith(".srt")
    text_shows(d, "#details-list [data-plan=line]", "Hello there, I am sayso.")
    screens.shot(d, "video")

    # remix: new words; the remix's page shows the original and the remix side by side
    say = d.find_element(By.ID, "remix-say")
    assert say.get_attribute("value") == "Hello there, I am sayso."
    set_text(say, "Goodbye for now, see you soon.")
    d.find_element(By.ID, "remix-button").click()
    second = video_id_in(d, other_than=first)
    text_shows(d, "#video-title", "remix")
    plays(d, "[data-figure=child] video")
    plays(d, "[data-figure=parent] video")
    parent_card = d.find_element(By.CSS_SELECTOR, "[data-figure=parent]")
    child_card = d.find_element(By.CSS_SELECTOR, "[data-figure=child]")
    left, right = rect(d, parent_card), rect(d, child_card)
    assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"], (left, right)
    assert "Original" in parent_card.text and "This remix" in child_card.text
    assert d.find_element(By.CSS_SELECTOR, "[data-figure=parent] video").get_attribute("data-id") == first
    text_shows(d, "#video-line", "Goodbye for now, see you soon.")
    screens.shot(d, "remix")
    screens.phone(d, "remix")

    # the gallery: newest first, and the remix names what it is a remix of
    d.find_element(By.CSS_SELECTOR, "[data-nav=gallery]").click()
    wait(d).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#gallery-list .video-card")) == 2)
    cards = d.find_elements(By.CSS_SELECTOR, "#gallery-list .video-card")
    assert [c.get_attribute("data-id") for c in cards] == [second, first]
    assert "remix of" in cards[0].text.lower() and "Hello there, I am sayso." in cards[0].text
    assert cards[0].find_element(By.CSS_SELECTOR, ".lineage a").get_attribute("href").endswith(f"#/v/{first}")
    assert not cards[1].find_elements(By.CSS_SELECTOR, ".lineage")
    wait(d).until(lambda d: d.execute_script("return [...document.querySelectorAll('#gallery-list img')]"
                                             ".every(i => i.complete && i.naturalWidth > 0)"), "thumbnails never loaded")
    screens.shot(d, "gallery")
    screens.phone(d, "gallery")

    # share the remix; a second browser (no cookies) plays it and sees where it came from
    cards[0].find_element(By.CSS_SELECTOR, ".vc-title").click()
    assert video_id_in(d) == second
    shown(d, "#share-button").click()
    link = wait(d).until(lambda d: d.find_element(By.ID, "share-link").get_attribute("value") or False)
    assert re.fullmatch(re.escape(studio.url) + r"/s/[A-Za-z0-9_-]+", link), link
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": studio.url,
                                                   "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    d.find_element(By.ID, "copy-button").click()
    text_shows(d, "#share-note", "Copied")
    assert d.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](null))") == link
    screens.shot(d, "shared")

    other = open_browser().driver
    other.get(link)
    plays(other, "#shared-video")
    provenance = shown(other, "#provenance").text
    for words in ("Made by sayso", "AI-generated", "Signed", "A remix"):
        assert words in provenance, provenance
    text_shows(other, "#shared-line", "Goodbye for now")
    screens.shot(other, "share-page")
    screens.phone(other, "share-page")

    # unshare: the link stops working
    d.find_element(By.ID, "unshare-button").click()
    shown(d, "#share-button")
    assert not d.find_element(By.ID, "share-link-row").is_displayed()
    other.refresh()
    text_shows(other, "#gone", "unshared or never existed")
    assert not other.find_element(By.ID, "shared").is_displayed()
    assert other.execute_script("const v = document.getElementById('shared-video'); return v.readyState") == 0
    screens.shot(other, "share-gone")

    # verify: the video made here, then a foreign one
    made = tmp_path / "made.mp4"
    with httpx.Client(base_url=studio.url, cookies=client_cookies(d), timeout=60) as api:
        response = api.get(f"/api/videos/{second}/video.mp4")
        assert response.status_code == 200, response.text
        made.write_bytes(response.content)
    d.find_element(By.CSS_SELECTOR, "[data-nav=verify]").click()
    shown(d, "#screen-verify")
    d.find_element(By.ID, "verify-input").send_keys(str(made))
    text_shows(d, "#verify-verdict", "made by sayso", timeout=RENDER)
    text_shows(d, "[data-verify=manifest]", "valid")
    text_shows(d, "[data-verify=lineage]", "\u2190")
    screens.shot(d, "verify-made")
    d.find_element(By.ID, "verify-input").send_keys(str(foreign_video(tmp_path / "foreign.mp4")))
    text_shows(d, "#verify-verdict", "no sayso provenance found", timeout=RENDER)
    text_shows(d, "[data-verify=manifest]", "none")
    screens.shot(d, "verify-foreign")
    screens.phone(d, "verify-foreign")
    assert not browser.errors(), browser.errors()


def test_group_photo_numbers_faces_and_the_chosen_one_is_made(studio, driver, screens):
    d = driver
    open_studio(d, studio)
    upload_photo(d, PHOTOS / "pyfeat_multi_face_5people.jpg")
    faces = faces_drawn(d, 5)
    assert [f.text for f in faces] == ["1", "2", "3", "4", "5"]
    assert [f.tag_name for f in faces] == ["button"] * 5
    xs = [rect(d, f)["x"] for f in faces]
    assert xs == sorted(xs), "faces are numbered left to right"
    screens.shot(d, "faces")

    # a face too small to animate (as the API measured it) cannot be chosen
    with httpx.Client(base_url=studio.url, cookies=client_cookies(d), timeout=30) as api:
        usable = [f["usable"] for f in api.post("/api/photos", files={"photo": (
            "group.jpg", (PHOTOS / "pyfeat_multi_face_5people.jpg").read_bytes())}).json()["faces"]]
    assert [f.get_attribute("data-usable") == "true" for f in faces] == usable
    assert all(f.get_attribute("disabled") is not None for f, ok in zip(faces, usable) if not ok)
    assert usable[1] and usable[4], "faces 2 and 5 are 100+ px wide"

    # keyboard: a face is a button (Space chooses it, the focus ring shows)
    faces[4].send_keys(Keys.SPACE)
    wait(d).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-face='5']").get_attribute("aria-pressed") == "true")
    assert d.switch_to.active_element.get_attribute("data-face") == "5"
    screens.shot(d, "face-5-by-keyboard")
    d.find_element(By.CSS_SELECTOR, "[data-face='2']").click()
    wait(d).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-face='2']").get_attribute("aria-pressed") == "true")
    pressed = [f.get_attribute("aria-pressed") for f in d.find_elements(By.CSS_SELECTOR, "#face-layer .face")]
    assert pressed == ["false", "true", "false", "false", "false"]
    text_shows(d, "#face-note", "Face 2 will speak")
    d.find_element(By.ID, "prompt").send_keys("He smiles and says 'We are five, and I am the one in the middle.'")
    set_text(d.find_element(By.ID, "opt-duration"), "9")
    text_shows(d, "[data-plan=line]", "We are five")
    screens.shot(d, "face-2-chosen")

    # the make request names face 2, and the video plays
    record(d)
    d.find_element(By.ID, "make-button").click()
    made = video_id_in(d)
    posts = [r for r in seen(d)["requests"] if r["url"].endswith("/api/videos")]
    assert len(posts) == 1 and posts[0]["form"]["face"] == "2", posts
    assert posts[0]["form"]["duration"] == "9" and posts[0]["form"]["photo_id"]
    text_shows(d, "#video-state", "done", timeout=RENDER)
    plays(d, "[data-figure=child] video")
    screens.shot(d, "face-2-done")


def test_a_render_can_be_cancelled(studio, driver, screens):
    d = driver
    open_studio(d, studio)
    d.find_element(By.CSS_SELECTOR, "[data-example=astronaut]").click()  # an example instead of an upload
    faces_drawn(d, 1)
    d.find_element(By.CSS_SELECTOR, ".prompt-chip").click()  # an example prompt
    assert d.find_element(By.ID, "prompt").get_attribute("value").startswith("At night in the rain")
    text_shows(d, "[data-plan=scene]", "rain")
    text_shows(d, "[data-plan=camera]", "push-in")
    set_text(d.find_element(By.ID, "opt-duration"), "30\n")  # Enter in a field submits the form
    video_id_in(d)
    shown(d, "#cancel-button").click()
    text_shows(d, "#video-state", "cancelled", timeout=RENDER)
    text_shows(d, "#players", "cancelled")
    assert not d.find_elements(By.CSS_SELECTOR, "[data-figure=child] video")
    screens.shot(d, "cancelled")

    # delete asks once more, then the gallery no longer lists it
    d.find_element(By.ID, "delete-button").click()
    shown(d, "#delete-confirm").click()
    wait(d).until(lambda d: route(d) == "#/gallery")
    shown(d, "#gallery-empty")
    assert not d.find_elements(By.CSS_SELECTOR, "#gallery-list .video-card")
    screens.shot(d, "deleted")


def test_my_own_recording_is_heard(studio, driver, screens, tmp_path):
    """Choose a recording: it is checked at once (a file with no speech is refused beside
    the field), the voice gives way to it, and the video is as long as the recording."""
    d = driver
    open_studio(d, studio)
    d.find_element(By.CSS_SELECTOR, "[data-example=astronaut]").click()
    faces_drawn(d, 1)
    text = tmp_path / "words.wav"
    text.write_text("these are words, not sound\n" * 20)
    d.find_element(By.ID, "opt-recording").send_keys(str(text))
    text_shows(d, "#recording-error", "not a recording")
    assert d.find_element(By.ID, "opt-say-field").get_attribute("hidden") is not None
    recording = SPEECH / "en_male_psphinx_forever_input2.wav"
    d.find_element(By.ID, "opt-recording").send_keys(str(recording))
    text_shows(d, "#recording-note", "heard instead of a voice")
    assert not d.find_element(By.ID, "recording-error").is_displayed()
    assert not d.find_element(By.ID, "opt-voice").is_enabled()
    set_text(d.find_element(By.ID, "opt-say"), "feels like these days go on forever")
    Select(d.find_element(By.ID, "opt-size")).select_by_value("480p")
    screens.shot(d, "recording")
    d.find_element(By.ID, "make-button").click()
    video_id_in(d)
    seconds = plays(d, "[data-figure=child] video")
    assert abs(seconds - (0.45 + 3.35 + 0.7)) < 0.15, seconds
    text_shows(d, "#details-list [data-plan=line]", "feels like these days go on forever")
    text_shows(d, "#details-list [data-plan=voice]", "Your own recording")
    screens.shot(d, "recording-video")


def test_errors_show_beside_what_caused_them(studio, driver, screens, tmp_path):
    d = driver
    open_studio(d, studio)
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is a note, not a photo\n" * 20)
    with studio.client() as api:
        refused = api.post("/api/photos", files={"photo": (fake.name, fake.read_bytes(), "image/jpeg")})
    assert refused.status_code == 415, refused.text
    sentence = refused.json()["error"]["message"]

    upload_photo(d, fake)
    error = shown(d, "#photo-error")
    assert error.get_attribute("textContent") == sentence
    assert d.find_element(By.ID, "photo-card").find_element(By.ID, "photo-error") == error
    assert not d.find_element(By.ID, "photo-stage").is_displayed()
    screens.shot(d, "not-a-photo")

    # a prompt the reader refuses: its sentence under the prompt box
    d.find_element(By.ID, "prompt").send_keys("She says '...'")
    prompt_error = shown(d, "#prompt-error")
    assert "no words" in prompt_error.text
    assert d.find_element(By.ID, "prompt").get_attribute("aria-invalid") == "true"
    # an option out of range: beside the options
    set_text(d.find_element(By.ID, "prompt"), "She says 'Hi.'")
    wait(d).until(lambda d: not d.find_element(By.ID, "prompt-error").is_displayed())
    set_text(d.find_element(By.ID, "opt-duration"), "0.2")
    text_shows(d, "#options-error", "duration")
    # Make without a photo says so at the photo
    d.find_element(By.ID, "make-button").click()
    text_shows(d, "#photo-error", "Choose a photo first")
    screens.shot(d, "errors")
    screens.phone(d, "errors")


def test_a_studio_with_a_token_asks_for_it(server, driver, screens):
    token = "correct-horse-battery-staple-42"
    server.env = {"SAYSO_TOKEN": token}
    server.start()
    d = driver
    d.get(server.url + "/")
    shown(d, "#screen-login")
    assert not d.find_element(By.ID, "screen-make").is_displayed()
    field = d.find_element(By.ID, "login-token")
    field.send_keys("not-the-token-at-all\n")
    text_shows(d, "#login-error", "token")
    screens.shot(d, "wrong-token")
    set_text(field, token + "\n")  # Enter submits
    shown(d, "#screen-make")
    shown(d, "#example-list .chip").click()  # the example needs the token too
    faces_drawn(d, 1)
    screens.shot(d, "signed-in")


def test_too_many_requests_say_when_to_try_again(server, driver, screens):
    server.env = {"SAYSO_RATE_PER_MINUTE": "2"}  # the photo and one plan, then no more this half minute
    server.start()
    d = driver
    open_studio(d, server)
    upload_photo(d, PHOTOS / "skimage_astronaut.png")
    faces_drawn(d, 1)
    d.find_elements(By.CSS_SELECTOR, ".prompt-chip")[1].click()  # one prompt, one plan
    text_shows(d, "[data-plan=line]", "You are so cringe.")
    d.find_element(By.ID, "make-button").click()
    with httpx.Client(base_url=server.url, cookies=client_cookies(d), timeout=30) as api:
        refused = api.post("/api/plan", json={"prompt": "x"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    text_shows(d, "#make-banner", "too many requests")
    button = d.find_element(By.ID, "make-button")
    assert re.fullmatch(r"Wait \d+ s", button.text), button.text  # counts down the Retry-After
    assert not button.is_enabled()
    assert route(d) in ("", "#/")
    screens.shot(d, "busy")
