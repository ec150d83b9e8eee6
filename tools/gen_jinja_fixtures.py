#!/usr/bin/env python3
"""Writes tests/fixtures/chat/jinja_cases.json: small jinja2 feature cases with the output of
Python jinja2 configured as Hugging Face transformers does for chat templates
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, tojson =
json.dumps(ensure_ascii=False), raise_exception, strftime_now with a fixed clock).

Each case: {"name", "template", "context", and one of "expected" (exact text), "raises"
(the raise_exception message) or "error" (jinja2 failed; the C++ engine must fail too)}.
The output is deterministic: rerunning gives a byte-identical file.

Usage: /path/to/venv/bin/python tools/gen_jinja_fixtures.py [--out PATH]
"""
import argparse
import datetime
import json
import os
import random

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = datetime.datetime(2026, 11, 26, 12, 0, 0)  # the clock the C++ test fixes (1795694400)


class RaisedError(Exception):
    pass


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])

    def raise_exception(message):
        raise RaisedError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    env.globals["dict"] = dict
    return env


MSGS = {"messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Hi there"},
                     {"role": "assistant", "content": "Hello!"},
                     {"role": "user", "content": "Bye"}]}
DATA = {"n": 7, "x": 2.5, "s": "Hello World", "e": "", "l": [3, 1, 2], "d": {"b": 2, "a": 1},
        "t": True, "f": False, "z": None, "u": "héllo wörld", "users": [
            {"name": "ann", "age": 31, "admin": True}, {"name": "Bob", "age": 25, "admin": False},
            {"name": "cy", "age": 31}]}

CASES = [
    # --- output of values: Python str()/repr()
    ("print_int", "{{ 42 }}|{{ -7 }}|{{ 1_000 }}", {}),
    ("print_float", "{{ 1.0 }}|{{ 0.1 }}|{{ 1e-5 }}|{{ 1e16 }}|{{ 1.5e300 }}|{{ 123456.789 }}|{{ 0.1 + 0.2 }}", {}),
    ("print_float_ctx", "{{ x }}|{{ x * 2 }}|{{ 3 / 2 }}|{{ 4 / 2 }}|{{ 2 ** 0.5 }}", DATA),
    ("print_bool_none", "{{ true }}|{{ False }}|{{ none }}|{{ None }}|{{ t }}|{{ z }}", DATA),
    ("print_list", "{{ [1, 'a', \"b'c\", none, true, 1.5] }}", {}),
    ("print_dict", "{{ {'a': 1, 'b': [1, 2], 'c': {'d': none}} }}", {}),
    ("print_tuple", "{{ (1, 2) }}|{{ (1,) }}|{{ () }}", {}),
    ("print_ctx_dict", "{{ d }}|{{ users[0] }}", DATA),
    ("print_undefined", "[{{ nothing }}][{{ d.missing }}][{{ l[10] }}]", DATA),
    ("print_repr_escapes", "{{ ['a\\nb', 'tab\\there', 'back\\\\slash', \"it's\", 'say \"hi\"', \"both ' and \\\"\"] }}", {}),
    ("unicode_case", "{{ u|upper }}|{{ 'ÀÉÎ ΑΒΓ АБВЁ'|lower }}|{{ 'élan vital'|capitalize }}|{{ u.upper() }}|{{ 'straße'.upper() }}", DATA),
    ("print_unicode", "{{ u }}|{{ [u] }}|{{ u|length }}|{{ u[1] }}|{{ u[::-1] }}", DATA),
    ("string_escapes", "{{ 'a\\tb\\\\c\\'d\\\"e\\u00e9\\x41' }}", {}),
    ("string_concat_literals", "{{ 'a' 'b' \"c\" }}", {}),
    # --- arithmetic
    ("arith_int", "{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}", {}),
    ("arith_float", "{{ 7.5 // 2 }}|{{ -7.5 % 2 }}|{{ 1 + 1.0 }}|{{ 10 / 4 }}|{{ 2 ** 3 ** 2 }}", {}),
    ("arith_precedence", "{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ -2 ** 2 }}|{{ 10 - 2 - 3 }}|{{ 2 * 3 % 4 }}", {}),
    ("arith_strings", "{{ 'ab' + 'cd' }}|{{ 'ab' * 3 }}|{{ 3 * 'x' }}|{{ [1] * 3 }}|{{ [1, 2] + [3] }}", {}),
    ("arith_tilde", "{{ 1 ~ 'a' ~ none ~ true ~ 1.5 ~ nothing }}", {}),
    ("arith_bool", "{{ true + 1 }}|{{ true * 3 }}|{{ false - 1 }}", {}),
    ("arith_unary", "{{ -n }}|{{ +n }}|{{ -x }}|{{ not t }}|{{ not not n }}|{{ - -3 }}", DATA),
    ("string_percent", "{{ '%s and %s' % ('a', 1) }}|{{ '%d%%' % 5 }}|{{ '%s' % [1] }}|{{ '%r' % 'q' }}", {}),
    ("err_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_floordiv_zero", "{{ 1 // 0 }}", {}),
    ("err_undefined_arith", "{{ nothing + 1 }}", {}),
    ("err_list_plus_str", "{{ [1] + 'a' }}", {}),
    # --- comparisons and logic
    ("compare_basic", "{{ 1 < 2 }}|{{ 2 <= 2 }}|{{ 3 > 4 }}|{{ 'a' < 'b' }}|{{ 1 == 1.0 }}|{{ 1 != '1' }}|{{ [1, 2] < [1, 3] }}", {}),
    ("compare_chain", "{{ 1 < 2 < 3 }}|{{ 1 < 3 < 2 }}|{{ 3 > 2 > 1 }}|{{ 1 == 1 == 1 }}", {}),
    ("compare_in", "{{ 'a' in 'cat' }}|{{ 2 in l }}|{{ 'a' in d }}|{{ 'q' not in d }}|{{ 5 not in l }}|{{ 'x' in nothing }}", DATA),
    ("compare_eq_types", "{{ none == none }}|{{ true == 1 }}|{{ 'a' == 'a' }}|{{ [1] == [1] }}|{{ {'a': 1} == {'a': 1} }}|{{ nothing == none }}", {}),
    ("logic_operands", "{{ 0 or 'x' }}|{{ 'a' and 'b' }}|{{ '' and 1 }}|{{ none or none }}|{{ [] or [1] }}|{{ 1 and 0 }}", {}),
    ("logic_precedence", "{{ not 1 == 2 }}|{{ true or false and false }}|{{ not true or true }}", {}),
    ("ternary", "{{ 'y' if t else 'n' }}|{{ 'y' if f else 'n' }}|[{{ 'y' if f }}]|{{ 1 if 0 else 2 if 0 else 3 }}", DATA),
    ("err_compare_types", "{{ 1 < 'a' }}", {}),
    ("err_in_int", "{{ 1 in 'abc' }}", {}),
    ("err_compare_none", "{{ none < 1 }}", {}),
    # --- slicing and indexing
    ("slice_list", "{{ l[1:] }}|{{ l[:-1] }}|{{ l[::-1] }}|{{ l[::2] }}|{{ l[-2:] }}|{{ l[5:] }}|{{ l[-10:1] }}|{{ l[2:0:-1] }}", DATA),
    ("slice_string", "{{ s[:5] }}|{{ s[6:] }}|{{ s[::-1] }}|{{ s[-5:-1] }}|{{ s[1:8:3] }}", DATA),
    ("index_negative", "{{ l[-1] }}|{{ s[-1] }}|{{ users[-1].name }}|{{ l.0 }}", DATA),
    ("attr_item_fallback", "{{ d.a }}|{{ d['b'] }}|{{ users[0]['name'] }}|{{ users[1].age }}", DATA),
    ("err_slice_step_zero", "{{ l[::0] }}", DATA),
    ("err_attr_of_undefined", "{{ nothing.attr }}", {}),
    ("err_item_of_undefined", "{{ nothing['k'] }}", {}),
    ("err_call_undefined", "{{ nothing() }}", {}),
    ("err_call_string", "{{ s() }}", DATA),
    # --- whitespace control
    ("ws_trim_blocks", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("ws_lstrip_blocks", "  {% if true %}\n    A\n  {% endif %}\nB", {}),
    ("ws_minus", "a  {%- if true -%}  b  {%- endif -%}  c", {}),
    ("ws_var_minus", "a   {{- 'b' -}}   c\n  {{ 'd' }}  \n", {}),
    ("ws_plus", "  {%+ if true %}x{% endif %}\n", {}),
    ("ws_comment", "a\n  {# note #}\nb {#- x -#} c\n{# end #}\nd", {}),
    ("ws_lstrip_not_var", "  {{ 'v' }}\n  {% set x = 1 %}\nend", {}),
    ("ws_trailing_newline", "line\n", {}),
    ("ws_trailing_newlines_two", "line\n\n", {}),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", {}),
    ("ws_inline_blocks", "x {% if true %}y{% endif %} z\n{% for i in [1,2] %}{{ i }} {% endfor %}\n", {}),
    ("ws_text_before_tag_same_line", "abc {% if true %}\ndef\n{% endif %}", {}),
    ("ws_raw", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}|\n  {%- raw -%}  x  {%- endraw %}", {}),
    ("ws_raw_newline", "{% raw %}\nkeep\n{% endraw %}\nafter", {}),
    ("ws_minus_newlines", "a\n\n   {%- set x = 1 %}\nb\n{%- if true %}\n  c\n{%- endif %}", {}),
    # --- for loops
    ("for_basic", "{% for i in l %}{{ i }},{% endfor %}", DATA),
    ("for_loop_vars", "{% for i in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("for_prev_next", "{% for i in l %}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %}", DATA),
    ("for_cycle", "{% for i in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", {}),
    ("for_else", "{% for i in [] %}x{% else %}empty{% endfor %}|{% for i in l %}{% else %}no{% endfor %}", DATA),
    ("for_filter", "{% for i in range(10) if i is odd %}{{ i }}{{ loop.index }}{{ '.' if loop.last }}{% endfor %}", {}),
    ("for_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", DATA),
    ("for_unpack_paren", "{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", {}),
    ("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", DATA),
    ("for_string", "{% for c in u %}[{{ c }}]{% endfor %}", DATA),
    ("for_nested_loop", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("for_scope", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }},{% endfor %}{{ x }}", {}),
    ("for_undefined", "{% for i in nothing %}x{% else %}none{% endfor %}", {}),
    ("for_range", "{{ range(3)|list }}|{{ range(1, 7, 2)|list }}|{{ range(5, 0, -2)|list }}|{{ range(0)|list }}", {}),
    ("for_messages", "{% for m in messages %}<{{ m.role }}>{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}", MSGS),
    ("err_for_int", "{% for i in 5 %}{% endfor %}", {}),
    ("err_for_none", "{% for i in z %}{% endfor %}", DATA),
    ("err_unpack", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", {}),
    ("err_break_outside", "{% break %}", {}),
    # --- set, namespace, with
    ("set_basic", "{% set a = 1 %}{% set b, c = 2, 3 %}{{ a }}{{ b }}{{ c }}", {}),
    ("set_block", "{% set body %}Hi {{ 1 + 1 }}{% endset %}[{{ body }}]", {}),
    ("set_block_filter", "{% set body | upper | trim %}  hi there {% endset %}[{{ body }}]", {}),
    ("set_if_no_scope", "{% if true %}{% set a = 5 %}{% endif %}{{ a }}", {}),
    ("namespace_loop", "{% set ns = namespace(count=0, found=false) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.count = ns.count + 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}", MSGS),
    ("namespace_attr_missing", "{% set ns = namespace() %}[{{ ns.x }}]{{ ns.x is defined }}", {}),
    ("namespace_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", {}),
    ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", {}),
    ("err_set_attr_non_namespace", "{% set d.x = 1 %}", DATA),
    ("dict_global", "{{ dict(a=1, b='x') }}|{{ dict([('k', 1)]) }}", {}),
    # --- macros and call
    ("macro_basic", "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(punct='.', name='Cy') }}", {}),
    ("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}|{{ b }}|{{ b is defined }}]{% endmacro %}{{ m(1) }}", {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}", {}),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}", {}),
    ("macro_reads_outer", "{% set g = 'G' %}{% macro m() %}{{ g }}{{ n }}{% endmacro %}{{ m() }}", DATA),
    ("macro_default_uses_param", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("macro_render_json", "{% macro render(v) %}{% if v is mapping %}{% for k, x in v.items() %}{{ k }}:{{ render(x) }};{% endfor %}{% elif v is string %}'{{ v }}'{% else %}{{ v }}{% endif %}{% endmacro %}{{ render({'a': {'b': 'c', 'd': 1}}) }}", {}),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}", {}),
    ("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ 'x' }}{% endfilter %}", {}),
    ("err_macro_extra_positional", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("err_macro_too_many", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(a=1, a2=2, b=3)|length }}{{ m(1, a=2) }}", {}),
    # --- filters
    ("f_tojson", "{{ d|tojson }}|{{ [1, 'é', none, true, 1.5]|tojson }}|{{ 'a\"b\\n'|tojson }}|{{ {}|tojson }}", DATA),
    ("f_tojson_indent", "{{ {'a': [1, {'b': []}], 'c': {}}|tojson(indent=2) }}", {}),
    ("f_tojson_options", "{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ users[0]|tojson(indent=4) }}", DATA),
    ("f_tojson_ascii", "{{ u|tojson(true) }}|{{ ['é', '😀', 'a\tb']|tojson(ensure_ascii=true) }}|{{ '😀'|tojson }}", DATA),
    ("f_tojson_html", "{{ '<a href=\"x\">&</a>'|tojson }}", {}),
    ("f_trim", "[{{ '  a b  '|trim }}][{{ 'xxaxx'|trim('x') }}][{{ nothing|trim }}]", {}),
    ("f_length", "{{ l|length }}|{{ s|count }}|{{ d|length }}|{{ nothing|length }}|{{ ''|length }}|{{ u|length }}", DATA),
    ("f_case", "{{ s|upper }}|{{ s|lower }}|{{ 'hELLO wORLD'|capitalize }}|{{ 'hello big-world (x)'|title }}|{{ \"they're\"|title }}", DATA),
    ("f_replace", "{{ s|replace('o', '0') }}|{{ s|replace('o', '0', 1) }}|{{ 'abc'|replace('', '-') }}", DATA),
    ("f_join", "{{ l|join }}|{{ l|join(', ') }}|{{ users|join('/', attribute='name') }}|{{ 'abc'|join('.') }}", DATA),
    ("f_first_last", "{{ l|first }}|{{ l|last }}|{{ s|first }}|{{ s|last }}|[{{ []|first }}]", DATA),
    ("f_default", "{{ nothing|default('dflt') }}|{{ e|default('dflt') }}|{{ e|default('dflt', true) }}|{{ z|d('x') }}|{{ nothing|d }}|{{ f|default('x', boolean=true) }}", DATA),
    ("f_items", "{{ d|items|list }}|{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}", DATA),
    ("f_map", "{{ users|map(attribute='name')|list }}|{{ ['a', 'b']|map('upper')|join }}|{{ users|map(attribute='missing', default='-')|list }}|{{ [1.7, 2.2]|map('int')|list }}", DATA),
    ("f_select_reject", "{{ range(10)|select('odd')|list }}|{{ range(10)|reject('even')|list }}|{{ [0, 1, '', 'a', none]|select|list }}|{{ l|select('greaterthan', 1)|list }}", DATA),
    ("f_selectattr", "{{ users|selectattr('admin')|map(attribute='name')|list }}|{{ users|rejectattr('admin')|map(attribute='name')|list }}|{{ users|selectattr('age', 'equalto', 31)|list|length }}|{{ messages|selectattr('role', '==', 'user')|map(attribute='content')|join(',') }}", dict(DATA, **MSGS)),
    ("f_selectattr_none", "{{ z|selectattr('a')|list }}|{{ z|map('upper')|list }}", DATA),
    ("f_string_int_float", "{{ 5|string + 'x' }}|{{ '42'|int + 1 }}|{{ '4.7'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 3.9|int }}|{{ '2.5'|float }}|{{ 3|float }}|{{ 'q'|float }}|{{ ' 12 '|int }}|{{ true|int }}", {}),
    ("f_list", "{{ 'ab'|list }}|{{ d|list }}|{{ nothing|list }}|{{ (1, 2)|list }}", DATA),
    ("f_safe_markup", "{{ 'a<b'|safe }}|{{ '<'|safe + '<' }}|{{ '<' + '<'|safe }}|{{ ('&'|safe + 1|string) }}|{{ '<'|e }}|{{ '<'|escape|safe }}", {}),
    ("f_indent", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}|{{ 'x\\n'|indent(1) }}", {}),
    ("f_abs_round", "{{ -3|abs }}|{{ (-2.5)|abs }}|{{ 2.567|round(2) }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.1|round(method='ceil') }}|{{ 2.9|round(0, 'floor') }}|{{ 7|round }}", {}),
    ("f_unique", "{{ [1, 2, 1, 3, 2]|unique|list }}|{{ ['a', 'A', 'b']|unique|list }}|{{ ['a', 'A']|unique(true)|list }}|{{ users|unique(attribute='age')|map(attribute='name')|list }}", DATA),
    ("f_sort", "{{ l|sort }}|{{ l|sort(reverse=true) }}|{{ ['b', 'A', 'c']|sort }}|{{ ['b', 'A', 'c']|sort(case_sensitive=true) }}|{{ users|sort(attribute='age')|map(attribute='name')|list }}", DATA),
    ("f_reverse", "{{ l|reverse|list }}|{{ s|reverse }}", DATA),
    ("f_batch", "{{ range(7)|batch(3)|list }}|{{ range(5)|batch(2, 'x')|list }}", {}),
    ("f_wordcount_striptags", "{{ 'one two  three'|wordcount }}|{{ '<p>Hello <b>you</b></p>  there'|striptags }}", {}),
    ("f_dictsort", "{{ d|dictsort }}|{{ d|dictsort(reverse=true) }}|{{ {'b': 1, 'a': 2}|dictsort(by='value') }}", DATA),
    ("f_min_max_sum", "{{ l|min }}|{{ l|max }}|{{ l|sum }}|{{ users|sum(attribute='age') }}|{{ users|max(attribute='age')|tojson }}|{{ ['b', 'A']|min }}|{{ [1.5, 2]|sum(start=10) }}", DATA),
    ("f_format_center", "{{ '%s-%s'|format(1, 'a') }}|[{{ 'ab'|center(6) }}]|[{{ 'abc'|center(6) }}]", {}),
    ("f_attr", "{{ users[0]|attr('name') }}|[{{ d|attr('zz') }}]", DATA),
    ("f_chain", "{{ messages|map(attribute='role')|unique|list|length }}|{{ messages|last|tojson }}", MSGS),
    ("err_unknown_filter", "{{ 1|nosuchfilter }}", {}),
    ("unknown_filter_in_if", "{% if false %}{{ 1|nosuchfilter }}{% endif %}ok", {}),
    ("err_unknown_filter_in_if_taken", "{% if true %}{{ 1|nosuchfilter }}{% endif %}", {}),
    ("err_tojson_undefined", "{{ nothing|tojson }}", {}),
    ("err_tojson_generator", "{{ l|map('string')|tojson }}", DATA),
    ("subscript_non_sequence", "[{{ (l|map('string'))[0] }}][{{ n[0] }}][{{ z[0] }}][{{ z['k'] }}]", DATA),
    ("err_slice_generator", "{{ (l|select)[1:] }}", DATA),
    ("err_slice_int", "{{ n[1:] }}", DATA),
    ("err_slice_undefined", "{{ nothing[1:] }}", DATA),
    ("err_generator_length", "{{ l|select|length }}", DATA),
    ("err_length_int", "{{ 5|length }}", {}),
    ("err_items_list", "{{ l|items|list }}", DATA),
    ("err_dictsort_undefined", "{{ nothing|dictsort }}", {}),
    ("err_batch_zero", "{{ l|batch(0)|list }}", DATA),
    # --- tests
    ("t_defined", "{{ n is defined }}|{{ nothing is defined }}|{{ nothing is undefined }}|{{ d.a is defined }}|{{ d.zz is not defined }}", DATA),
    ("t_types", "{{ z is none }}|{{ t is boolean }}|{{ 1 is boolean }}|{{ t is true }}|{{ f is false }}|{{ 1 is true }}|{{ n is integer }}|{{ x is float }}|{{ t is number }}|{{ x is number }}|{{ s is string }}|{{ n is string }}", DATA),
    ("t_containers", "{{ d is mapping }}|{{ l is mapping }}|{{ l is iterable }}|{{ s is iterable }}|{{ n is iterable }}|{{ nothing is iterable }}|{{ l is sequence }}|{{ s is sequence }}|{{ d is sequence }}|{{ n is sequence }}", DATA),
    ("t_numbers", "{{ 3 is odd }}|{{ 3 is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}|{{ 0 is even }}", {}),
    ("t_compare", "{{ 1 is eq 1 }}|{{ 1 is equalto 2 }}|{{ 1 is ne 2 }}|{{ 2 is gt 1 }}|{{ 2 is greaterthan 3 }}|{{ 1 is lt 2 }}|{{ 1 is lessthan 1 }}|{{ 2 is ge 2 }}|{{ 2 is le 1 }}", {}),
    ("t_in_callable", "{{ 2 is in l }}|{{ 'x' is in 'xyz' }}|{{ range is callable }}|{{ n is callable }}|{{ raise_exception is callable }}", DATA),
    ("t_case", "{{ 'abc' is lower }}|{{ 'aBc' is lower }}|{{ 'ABC' is upper }}|{{ '12' is upper }}", {}),
    ("t_sameas", "{{ none is sameas none }}|{{ true is sameas true }}|{{ 1 is sameas true }}", {}),
    ("t_filter_test", "{{ 'upper' is filter }}|{{ 'nope' is filter }}|{{ 'odd' is test }}|{{ 'nope' is test }}", {}),
    ("t_not_precedence", "{{ not n is defined }}|{{ n is not defined or true }}|{{ s is string and n is not string }}", DATA),
    ("err_unknown_test", "{{ 1 is nosuchtest }}", {}),
    ("err_test_operator_name", "{{ 1 is == 1 }}", {}),
    # --- methods
    ("m_strip", "[{{ '  x  '.strip() }}][{{ '  x  '.lstrip() }}][{{ '  x  '.rstrip() }}][{{ 'xxhixx'.strip('x') }}][{{ '\\n\\tx\\n'.strip() }}]", {}),
    ("m_split", "{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ ' a b '.split(none, 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ ''.split() }}|{{ ''.split(',') }}|{{ '  a b  '.rsplit(none, 1) }}", {}),
    ("m_starts_ends", "{{ s.startswith('Hell') }}|{{ s.endswith('World') }}|{{ s.endswith(('x', 'ld')) }}|{{ s.startswith(('x', 'y')) }}", DATA),
    ("m_replace_case", "{{ s.replace('l', 'L') }}|{{ s.replace('l', 'L', 2) }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'hello World'.capitalize() }}|{{ \"they're 3rd\".title() }}", DATA),
    ("m_find_count", "{{ s.find('o') }}|{{ s.rfind('o') }}|{{ s.find('z') }}|{{ s.count('l') }}|{{ u.find('w') }}|{{ 'aaa'.count('aa') }}", DATA),
    ("m_join_format", "{{ '-'.join(['a', 'b']) }}|{{ ', '.join(d) }}|{{ '{} and {}'.format(1, 'x') }}|{{ '{0}{0}{b}'.format('q', b=2) }}", DATA),
    ("m_dict", "{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 5) }}|{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.items()|list }}", DATA),
    ("m_list", "{{ l.index(1) }}|{{ l.count(3) }}|{{ [1, 1, 2].count(1) }}", DATA),
    ("m_window_pad", "{{ 'abc'.startswith('b', 1) }}{{ 'abc'.endswith('b', 0, 2) }}{{ 'abc'.startswith(('x', 'c'), -1) }}|[{{ 'x'.center(5) }}][{{ 'xy'.center(5, '*') }}][{{ 'x'.ljust(3) }}][{{ 'x'.rjust(3, '0') }}][{{ 'abc'.center(6) }}]", {}),
    ("print_macro_and_float_list", "{% macro m() %}x{% endmacro %}{{ m }}|{{ x }}|{{ x|tojson }}", {"x": [1e-7, 1e22, 123.0, 0.5, 1.7976931348623157e308]}),
    ("m_misc", "{{ 'abc'.removeprefix('a') }}|{{ 'abc'.removesuffix('c') }}|{{ '12'.isdigit() }}|{{ 'a1'.isalpha() }}|{{ 'a\\nb'.splitlines() }}|{{ ' '.isspace() }}", {}),
    ("err_list_append", "{% set x = [] %}{{ x.append(1) }}", {}),
    ("err_dict_update", "{% set x = {} %}{{ x.update({'a': 1}) }}", {}),
    ("err_dict_pop", "{{ d.pop('a') }}", DATA),
    ("err_dunder", "{{ s.__class__ }}", DATA),
    ("err_split_empty_sep", "{{ s.split('') }}", DATA),
    ("err_list_index_missing", "{{ l.index(99) }}", DATA),
    # --- globals
    ("raise_exception", "{% if n > 5 %}{{ raise_exception('n is too big: ' ~ n) }}{% endif %}", DATA),
    ("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%d %B %Y') }}|{{ strftime_now('%A %b %-d') }}", {}),
    # --- syntax errors (jinja2 fails at compile time)
    ("syn_unclosed_if", "{% if true %}x", {}),
    ("syn_unknown_tag", "{% generation %}x{% endgeneration %}", {}),
    ("syn_bad_expr", "{{ 1 + }}", {}),
    ("syn_unclosed_var", "{{ 1 ", {}),
    ("syn_unclosed_string", "{{ 'abc }}", {}),
    ("syn_unclosed_comment", "{# abc", {}),
    ("syn_bad_endfor", "{% for x in l %}{% endif %}", {}),
    ("syn_stray_endfor", "{% endfor %}", {}),
    ("syn_unbalanced", "{{ (1 + 2 }}", {}),
    ("syn_bad_char", "{{ 1 ? 2 }}", {}),
    ("syn_set_no_value", "{% set %}", {}),
    ("syn_macro_no_paren", "{% macro m %}{% endmacro %}", {}),
    ("syn_line_number", "line1\nline2\n{{ 1 + }}", {}),
    # --- a chat-style template
    ("chat_template", "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}<<SYS>>{{ m['content'] | trim }}<</SYS>>\n{% elif m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]{% else %} {{ m['content'] }}{{ eos_token }}{% endif %}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}",
     dict(MSGS, bos_token="<s>", eos_token="</s>", add_generation_prompt=True)),
]


# Random programs from a small grammar (seeded, so the file stays byte-identical): expressions
# mixing every operator, filter, test and method above, and tag soups that exercise whitespace
# control. Differential testing with these found most of the engine's early mistakes.
ATOMS = ["n", "x", "s", "e", "l", "d", "t", "f", "z", "u", "nothing", "users", "users[0]", "d.a", "l[1]",
         "0", "1", "-2", "2.5", "0.1", "'a'", "'Hi there'", "''", "[]", "[1, 2]", "{'k': 1}", "(1, 'b')",
         "none", "true", "false", "s[1:4]", "l[::-1]", "u[1]"]
BINOPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or", "**"]
FILTERS = ["length", "upper", "lower", "trim", "string", "int", "float", "list", "first", "last", "tojson",
           "abs", "round", "sort", "unique|list", "reverse|list", "join(',')", "default('D')",
           "default('D', true)", "items|list", "capitalize", "title", "wordcount", "sum", "min", "max",
           "dictsort", "map('string')|list", "select|list", "reject('none')|list", "batch(2)|list",
           "replace('a', 'b')", "indent(2)", "escape", "safe", "center(7)", "format", "count", "d"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable",
         "sequence", "boolean", "true", "false", "odd", "even", "divisibleby 2", "eq 1", "in [1, 2]",
         "lower", "upper", "callable"]
METHODS = ["strip()", "split()", "split(',')", "upper()", "startswith('H')", "endswith('e')",
           "replace('e', 'E')", "title()", "find('e')", "count('l')", "get('a')", "items()|list",
           "keys()|list", "lstrip('H')", "rsplit(' ', 1)", "capitalize()"]
TEXTS = ["", " ", "  ", "\n", "\n  ", "a", " b ", "\n\n", "x\n", "  \n  ", "\t", "c  \n   "]


def random_expr(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice(ATOMS)
    sub = lambda: random_expr(rng, depth + 1)  # noqa: E731
    if r < 0.5:
        return f"({sub()} {rng.choice(BINOPS)} {sub()})"
    if r < 0.65:
        return f"({sub()}|{rng.choice(FILTERS)})"
    if r < 0.75:
        return f"({sub()} is {rng.choice(['', 'not '])}{rng.choice(TESTS)})"
    if r < 0.85:
        return f"({sub()}).{rng.choice(METHODS)}"
    if r < 0.92:
        return f"({sub()} if {sub()} else {sub()})"
    return "not " + sub()


def random_stmt(rng, depth=0):
    r = rng.random()
    if depth > 2 or r < 0.4:
        return "{{ " + random_expr(rng) + " }}"
    sub = lambda: random_stmt(rng, depth + 1)  # noqa: E731
    if r < 0.55:
        return "{% if " + random_expr(rng) + " %}" + sub() + "{% else %}" + sub() + "{% endif %}"
    if r < 0.7:
        return "{% for i in " + random_expr(rng) + " %}[{{ loop.index }}:{{ i }}]" + sub() + "{% endfor %}"
    if r < 0.8:
        return "{% set v = " + random_expr(rng) + " %}{{ v }}"
    return sub() + "\n  " + sub()


def random_ws(rng, depth=0):
    def tag(kind, body):
        opener = {"b": "{%", "v": "{{", "c": "{#"}[kind] + rng.choice(["", "", "-"] + (["+"] if kind != "v" else []))
        closer = rng.choice(["", "", "-"] + (["+"] if kind == "b" else [])) + {"b": "%}", "v": "}}", "c": "#}"}[kind]
        return opener + " " + body + " " + closer
    def body():
        return "".join(random_ws(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    r, t = rng.random(), rng.choice(TEXTS)
    if depth > 2 or r < 0.35:
        return t + tag("v", rng.choice(["1", "'x'", "n", "loop.index if loop is defined else 0"]))
    if r < 0.5:
        return t + tag("c", "note")
    if r < 0.7:
        return (t + tag("b", "if " + rng.choice(["true", "false", "n > 3"])) + body() + rng.choice(TEXTS) +
                tag("b", "else") + body() + rng.choice(TEXTS) + tag("b", "endif"))
    if r < 0.85:
        return t + tag("b", "for i in range(2)") + body() + rng.choice(TEXTS) + tag("b", "endfor")
    if r < 0.92:
        return t + tag("b", "set q = 1")
    return (t + "{%" + rng.choice(["", "-"]) + " raw " + rng.choice(["", "-"]) + "%}" + rng.choice(TEXTS) +
            "{{ raw }}" + rng.choice(TEXTS) + tag("b", "endraw"))


def random_cases():
    rng = random.Random(20261126)
    cases = [(f"rand_expr_{k:03d}", random_stmt(rng), DATA) for k in range(200)]
    cases += [(f"rand_ws_{k:03d}", "".join(random_ws(rng) for _ in range(rng.randint(1, 3))) + rng.choice(TEXTS),
               {"n": 5}) for k in range(100)]
    return cases


def render_case(env, name, template, context):
    case = {"name": name, "template": template, "context": context}
    try:
        case["expected"] = env.from_string(template).render(**context)
    except RaisedError as e:
        case["raises"] = str(e)
    except Exception as e:  # the reference failed: the C++ engine must fail too
        case["error"] = f"{type(e).__name__}: {e}"
    return case


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "chat", "jinja_cases.json"))
    args = ap.parse_args()
    env = make_env()
    all_cases = CASES + random_cases()
    names = [c[0] for c in all_cases]
    assert len(names) == len(set(names)), "duplicate case names"
    cases = [render_case(env, *c) for c in all_cases]
    doc = {"generator": "tools/gen_jinja_fixtures.py", "jinja2": jinja2.__version__, "cases": cases}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    kinds = {k: sum(1 for c in cases if k in c) for k in ("expected", "raises", "error")}
    print(f"wrote {len(cases)} cases to {args.out}: {kinds}")


if __name__ == "__main__":
    main()
