"""A contract template cannot hold a worker: work and sizes are bounded, refusals name the line."""
import time

import pytest
from jinja2.sandbox import SecurityError

from tests.unit.test_contract_sandbox import LINE, render, validate, with_payload

BOMBS = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{{ 10 ** 10000000 }}", "{{ 'x' * 1000000000 }}", "{{ [1] * 1000000000 }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{{ '%0999999999d'|format(1) }}", "{{ '%0999999999d' % 1 }}", "{{ '%*d' % (999999999, 1) }}",
    "{{ '{:>999999999}'.format(1) }}", "{{ '{0:{1}}'.format(1, 999999999) }}", "{{ 'x'|center(999999999) }}",
    "{{ 'x'|indent(999999999) }}", "{{ 'ab'|replace('a', 'x' * 999999) * 2 }}",
]


@pytest.mark.parametrize("payload", BOMBS, ids=range(len(BOMBS)))
def test_bombs_are_refused_at_validate_with_the_line(payload):
    started = time.process_time()
    problems = validate(with_payload(payload))
    assert time.process_time() - started < 2
    assert problems and any(p.line == LINE for p in problems), problems


@pytest.mark.parametrize("payload", BOMBS[:4], ids=range(4))
def test_bombs_fail_a_render_quickly(payload):
    started = time.process_time()
    with pytest.raises(SecurityError):
        render(with_payload(payload))
    assert time.process_time() - started < 2


def test_ordinary_loops_and_formats_still_render():
    html = render(with_payload("{% for i in range(36) %}{{ '%05.2f'|format(i / 3) }}{% endfor %}{{ '{0:,.2f}'.format(1234.5) }}"))
    assert "11.67" in html and "1,234.50" in html
