from django import template

from vivold.links import named_url

register = template.Library()


@register.simple_tag
def link(name: str) -> str:
    """``{% link 'articles:home' %}``: as ``{% url %}`` for patterns without
    arguments, remembered per process (see vivold/links.py)."""
    return named_url(name)
