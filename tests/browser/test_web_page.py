"""The web page in a real headless Chromium: start a debate from the form, watch its turns arrive one by
one, pause and resume it, read the verdict, add a moderator message and download the export."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import screenshots_dir
from tests.conftest import ServiceProcess

RECORDER = """() => {
  // Every transcript item as it is added, with the debate's state at that moment.
  window.__added = [];
  const list = document.querySelector('[data-field="transcript"]');
  new MutationObserver(() => {
    const n = list.querySelectorAll('li').length;
    const state = document.querySelector('[data-field="state"]').textContent;
    if (!window.__added.length || window.__added[window.__added.length - 1].n !== n) {
      window.__added.push({n: n, state: state, at: performance.now()});
    }
  }).observe(list, {childList: true});
}"""


def start_from_form(page: Any, server: ServiceProcess, topic: str, models: list[str], **form: str) -> str:
    """Fill the start form (one participant per model), submit it, and return the new debate's id."""
    page.goto(server.url + "/")
    page.get_by_label("Topic or question").fill(topic)
    for field, value in form.items():
        page.locator(f"#{field}").fill(value) if field != "protocol" else page.select_option(
            "#protocol", value
        )
    rows = page.locator("li.participant")
    while rows.count() < len(models):
        page.get_by_role("button", name="Add participant").click()
    for i, model in enumerate(models):
        rows.nth(i).get_by_label("Model").fill(model)
    page.get_by_role("button", name="Start and watch").click()
    page.wait_for_url(re.compile(r".*/watch/deb_[0-9a-f]+$"))
    return page.url.rsplit("/", 1)[1]


def transcript(page: Any) -> Any:
    return page.locator('[data-field="transcript"] > li')


def state(page: Any) -> Any:
    return page.locator('[data-field="state"]')


def test_turns_stream_in_one_by_one_and_pause_and_resume_work(page: Any, debate_web: ServiceProcess) -> None:
    debate_id = start_from_form(
        page, debate_web, "Should cities ban private cars?", ["mock-slow-300", "mock-slow-300"], rounds="4"
    )
    page.evaluate(RECORDER)
    expect(transcript(page)).to_have_count(1)  # the first turn arrives on its own, while running
    expect(state(page)).to_have_text("running")
    page.get_by_role("button", name="Pause").click()
    expect(state(page)).to_have_text("paused")
    page.wait_for_timeout(700)  # a turn in flight when pausing still lands; then nothing more
    held = transcript(page).count()
    page.wait_for_timeout(1200)
    assert transcript(page).count() == held < 8
    assert page.get_by_role("button", name="Pause").is_disabled()
    page.get_by_role("button", name="Resume").click()
    expect(state(page)).to_have_text("completed", timeout=30_000)
    expect(transcript(page)).to_have_count(8)

    added = page.evaluate("window.__added")
    counts = [a["n"] for a in added]
    assert counts == sorted(counts) and counts[-1] == 8
    # each turn landed in the page on its own, and all but the last while the debate was still going
    assert all(b - a == 1 for a, b in zip(counts, counts[1:], strict=False)), counts
    assert all(a["state"] in ("running", "paused") for a in added if a["n"] < 8), added
    speakers = transcript(page).locator(".speaker").all_text_contents()
    assert speakers == ["Pro", "Con"] * 4
    # the page's view is the service's view
    served = httpx.get(f"{debate_web.url}/debates/{debate_id}", timeout=10).json()
    assert served["state"] == "completed" and served["turns_taken"] == 8
    tokens = served["ledger"]["total"]["input_tokens"] + served["ledger"]["total"]["output_tokens"]
    expect(page.locator('[data-field="tokens"]')).to_have_text(str(tokens))


def test_a_vote_shows_its_verdict_live_and_in_the_list(page: Any, debate_web: ServiceProcess) -> None:
    start_from_form(
        page, debate_web, "What is 3+4?", ["mock-answer-7", "mock-answer-7", "mock-answer-9"], protocol="vote"
    )
    verdict = page.locator('[data-field="verdict"]')
    expect(verdict.locator(".verdict-answer")).to_have_text("7", timeout=30_000)
    expect(verdict).to_contain_text("majority")
    expect(verdict).to_contain_text("9: 1")
    expect(state(page)).to_have_text("completed")
    if folder := screenshots_dir():
        page.screenshot(path=str(folder / "live-view.png"))
    page.get_by_role("link", name="All debates").click()
    row = page.locator("#debates tbody tr").first
    expect(row).to_contain_text("What is 3+4?")
    expect(row.locator("td").nth(6)).to_have_text("7")
    expect(row.locator("td").nth(2)).to_have_text("vote")
    if folder:
        page.screenshot(path=str(folder / "debate-list.png"))


def test_the_list_follows_a_debate_started_elsewhere(page: Any, debate_web: ServiceProcess) -> None:
    page.goto(debate_web.url + "/")
    body = {
        "name": "Started by curl",
        "topic": "Tabs or spaces?",
        "participants": [
            {"name": "A", "llm_config": {"provider": "mock", "model": "mock-slow-200"}},
            {"name": "B", "llm_config": {"provider": "mock", "model": "mock-slow-200"}},
        ],
        "max_rounds": 1,
    }
    created = httpx.post(f"{debate_web.url}/tools/create_debate", json=body, timeout=10).json()
    row = page.locator(f'#debates tr[data-id="{created["id"]}"]')
    expect(row).to_contain_text("created")
    httpx.post(
        f"{debate_web.url}/tools/run_debate", json={"debate_id": created["id"], "wait": False}, timeout=10
    )
    expect(row.locator("td").nth(1)).to_have_text("completed", timeout=30_000)
    expect(row.locator("td").nth(4)).to_have_text("2/2")


def test_moderator_message_and_export_download(page: Any, debate_web: ServiceProcess, tmp_path: Any) -> None:
    debate_id = start_from_form(
        page, debate_web, "Is tea better than coffee?", ["mock-slow-300", "mock-slow-300"], rounds="2"
    )
    page.get_by_role("button", name="Pause").click()
    expect(state(page)).to_have_text("paused")
    page.get_by_label("Moderator message").fill("A remark <b>not bold</b>")
    page.get_by_role("button", name="Add message").click()
    added = page.locator('[data-field="transcript"] > li.kind-external')
    expect(added.locator(".speaker")).to_have_text("Moderator")
    expect(added.locator(".content")).to_have_text("A remark <b>not bold</b>")  # text, never HTML
    page.get_by_role("button", name="Resume").click()
    expect(state(page)).to_have_text("completed", timeout=30_000)
    expect(page.get_by_label("Moderator message")).to_be_disabled()  # a finished debate takes no message
    page.reload()  # what the service stored, rendered by the server: the remark among the turns
    kinds = [k.split("kind-")[1] for k in transcript(page).evaluate_all("els => els.map(e => e.className)")]
    assert kinds.count("external") == 1 and kinds.count("turn") == 4 and kinds[-1] == "turn"
    expect(page.locator("li.kind-external .content")).to_have_text("A remark <b>not bold</b>")

    with page.expect_download() as download:
        page.get_by_role("link", name="markdown").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"{debate_id}.md"
    text = saved.read_text()
    assert "Is tea better than coffee?" in text and "A remark" in text


def test_refused_start_names_the_field(page: Any, debate_web: ServiceProcess) -> None:
    page.goto(debate_web.url + "/")
    page.locator("li.participant").nth(1).get_by_label("Name").fill("Pro")  # two participants named Pro
    page.get_by_role("button", name="Start and watch").click()
    alert = page.locator("#start-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("participants")
    assert "/watch/" not in page.url


def test_keyboard_only_and_a_narrow_screen(page: Any, debate_web: ServiceProcess) -> None:
    page.set_viewport_size({"width": 380, "height": 800})
    page.goto(debate_web.url + "/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    # every form control has a label, and nothing overflows the narrow window sideways
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabeled == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_label("Topic or question").focus()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Typed with the keyboard?")
    page.get_by_role("button", name="Start and watch").focus()
    page.keyboard.press("Enter")  # the form starts from the keyboard alone
    page.wait_for_url(re.compile(r".*/watch/deb_[0-9a-f]+$"))
    expect(page.locator(".topic")).to_have_text("Typed with the keyboard?")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
