"""Reading a Content-Security-Policy header and checking served HTML against it."""

from bs4 import BeautifulSoup

# Data blocks: a browser never runs them, so the policy doesn't concern them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def inline_script_problems(html: str) -> list[str]:
    """Every inline script, event-handler attribute or javascript: URL in the page."""
    page = BeautifulSoup(html, "html.parser")
    problems = []
    for script in page.find_all("script"):
        if script.get("type", "").lower() in DATA_SCRIPT_TYPES:
            continue
        if not script.get("src"):
            problems.append(f"inline script: {str(script)[:80]}")
    for tag in page.find_all(True):
        for attribute, value in tag.attrs.items():
            if attribute.lower().startswith("on"):
                problems.append(f"<{tag.name} {attribute}=…>")
            if isinstance(value, str) and value.strip().lower().startswith("javascript:"):
                problems.append(f"<{tag.name} {attribute}=javascript:…>")
    return problems
