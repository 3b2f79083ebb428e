"""The HTML report in a real browser: headless Chromium driven by Selenium (item 7).

Needs Debian's ``chromium`` and ``chromium-driver`` packages and ``selenium`` from PyPI.
Without them the test is skipped, except in CI (``$CI`` set), where it fails: CI installs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.discovery import resolve_profile
from conformance.render import render
from conformance.runner import validate

HERE = Path(__file__).resolve().parent
XML = HERE / "data/profiles/test-xml"
FIX = HERE / "data/fixtures/test-xml"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync")


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: CI installs chromium, chromium-driver and selenium)")
    pytest.skip(f"{why}; install with: apt-get install -y chromium chromium-driver && pip install selenium==4.41.0")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        _unavailable("chromium or chromedriver is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,2000")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    profile = resolve_profile(XML)
    record = validate(profile, [FIX / "valid/basic.xml", FIX / "invalid/many.xml"], seed=1,
                      now=datetime.fromisoformat("2026-01-15T12:00:00+08:00"))
    path = tmp_path / "report.html"
    path.write_text(render(record, "html", lang="en"), encoding="utf-8")
    return path, record


def test_report_summary_matrix_language_and_filter_work_in_chromium(browser: Any, report: tuple[Path, dict],
                                                                    tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    path, record = report
    browser.get(path.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "details.req")
    by_verdict: dict[str, int] = {}
    for r in record["requirements"]:
        by_verdict[r["verdict"]] = by_verdict.get(r["verdict"], 0) + 1
    assert by_verdict.get("fail") and by_verdict.get("pass")

    # Summary: the requirement count and the status are rendered and visible.
    summary = browser.find_element(By.ID, "summary")
    assert summary.is_displayed()
    numbers = [e.text for e in summary.find_elements(By.CSS_SELECTOR, ".stat .n")]
    assert numbers[0] == str(len(record["requirements"]))
    assert "NOT CONFORMANT" in browser.title

    # Requirement matrix: one visible row per requirement; a failing one is open with its findings.
    assert len(rows) == len(record["requirements"]) and all(r.is_displayed() for r in rows)
    tx5 = browser.find_element(By.ID, "req-TX-5")
    assert tx5.get_attribute("open") is not None
    assert "many.xml" in tx5.find_element(By.CSS_SELECTOR, "table.findings").text

    # zh/en switch: English text shows, Chinese hidden; after the click, the reverse.
    heading = browser.find_element(By.CSS_SELECTOR, "#requirements h2")
    assert "Requirement matrix" in heading.text and "要求矩阵" not in heading.text
    browser.find_element(By.CSS_SELECTOR, '.langs button[data-lang="zh"]').click()
    assert "lang-zh" in browser.find_element(By.TAG_NAME, "html").get_attribute("class")
    assert "要求矩阵" in heading.text and "Requirement matrix" not in heading.text
    assert browser.find_element(By.CSS_SELECTOR, '.langs button[data-lang="zh"]').get_attribute("aria-pressed") == "true"
    browser.find_element(By.CSS_SELECTOR, '.langs button[data-lang="en"]').click()
    assert "Requirement matrix" in heading.text

    # Verdict filter: unticking "pass" hides exactly the passing requirements.
    browser.find_element(By.CSS_SELECTOR, 'input.f-verdict[value="pass"]').click()
    visible = [r for r in rows if r.is_displayed()]
    assert len(visible) == len(rows) - by_verdict["pass"]
    assert all(r.get_attribute("data-verdict") != "pass" for r in visible)
    assert browser.find_element(By.ID, "f-shown").text == str(len(visible))
    # Only "fail" left: exactly the failing ones.
    for v in ("inconclusive", "error", "not_applicable"):
        browser.find_element(By.CSS_SELECTOR, f'input.f-verdict[value="{v}"]').click()
    visible = [r.get_attribute("id") for r in rows if r.is_displayed()]
    assert sorted(visible) == sorted(f"req-{r['id']}" for r in record["requirements"] if r["verdict"] == "fail")
    browser.find_element(By.ID, "f-reset").click()
    assert all(r.is_displayed() for r in rows)

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
