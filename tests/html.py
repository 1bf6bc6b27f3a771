"""Reading served pages the way a person or a browser test does."""

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def section_headed(page: BeautifulSoup, heading: str):
    """The <section> whose heading reads `heading`, or None."""
    for tag in page.find_all(["h2", "h3"]):
        if tag.get_text(strip=True) == heading:
            return tag.find_parent("section")
    return None


def assert_page_landmarks(page: BeautifulSoup) -> None:
    """What the contract asks of every page."""
    assert page.html.get("lang"), "<html> needs a lang"
    assert page.title and page.title.get_text(strip=True), "a <title> is needed"
    description = page.find("meta", attrs={"name": "description"})
    assert description and description.get("content", "").strip(), "a meta description is needed"
    assert page.find("link", rel="canonical"), "a canonical link is needed"
    skip = page.find("a", href="#main")
    assert skip is not None and "skip" in skip.get_text().lower(), "a skip link is needed"
    assert len(page.find_all("main")) == 1, "exactly one <main>"
    assert page.find("main").get("id") == "main"
