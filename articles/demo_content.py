"""Demo content for Vivold: topics, authors and articles used to seed a fresh site (`seed_demo`).

The text is data, kept in demo_content.toml beside this module. All analysts are fictional.
Articles 1-4 draw on reported events; articles 5-9 are general analysis and avoid precise
figures or attributed quotes.
"""

import tomllib
from pathlib import Path

_CONTENT = tomllib.loads(Path(__file__).with_name("demo_content.toml").read_text(encoding="utf-8"))

TOPICS: list[dict] = _CONTENT["topics"]
AUTHORS: list[dict] = _CONTENT["authors"]
ARTICLES: list[dict] = _CONTENT["articles"]
