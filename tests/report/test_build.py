"""report.html: self-contained, captions that state the result, tables linked to their CSV; in a real browser."""
import base64
import re

import pytest

from neurocompare.report import build_report


def test_report_content(folder):
    page = build_report(folder).read_text()
    assert "A &lt;b&gt;bold&lt;/b&gt; study" in page  # the user's text is escaped
    assert "Networks &amp; people." in page and "A. B." in page and "seed 3" in page
    # the one-sentence result, with the ceiling
    assert ("resnet18 layer2 is most similar to judgments, corr = 0.31 [0.22, 0.40], 61% of the lower noise "
            "ceiling") in page
    assert "noise ceiling (0.51 to 0.62)" in page
    assert page.count('href="tables/rsa.csv"') >= 4 * 7  # every number links to its CSV
    assert '<a href="figures/rsa_judgments.pdf">PDF</a>' in page
    assert "<h3>Stimuli</h3>" in page and "<b>objects</b>" in page and "<code>code</code>" in page
    assert "<li>one</li>" in page
    srcs = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(srcs) == 1 and base64.b64decode(srcs[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="https?://', page), "the page must open with no network"


def test_not_a_results_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a study results folder.*neurocompare run"):
        build_report(tmp_path)


@pytest.mark.browser
def test_report_in_headless_chromium(folder, tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    browser = chromium
    path = build_report(folder)
    errors = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        page = b.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : -1)")
        page.click("details summary")
        first = page.eval_on_selector("table.sortable tbody tr td:nth-child(5)", "e => e.textContent")
        page.click("table.sortable th:nth-child(7)")  # sort by value, ascending
        page.click("table.sortable th:nth-child(7)")  # and descending
        top = page.eval_on_selector("table.sortable tbody tr td:nth-child(2)", "e => e.textContent")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        b.close()
    assert errors == [] and widths and all(w > 0 for w in widths)
    assert first == "judgments" and top == "layer2"  # sorting works on the numbers
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.getextrema()[0] < 100 < img.getextrema()[1], "the screenshot must not be blank"
