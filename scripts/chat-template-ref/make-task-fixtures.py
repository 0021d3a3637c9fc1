#!/usr/bin/python3
"""Renders lm-eval task-field templates with Python's jinja2 configured as lm-eval configures it, and writes
MergeLab's fixture for the TASK dialect (src/test/resources/chat/task-dialect.json).

Peer: Debian's python3-jinja2 (run with /usr/bin/python3). lm-eval's environment (lm_eval/utils.py at commit
4e7e0d47): Environment(loader=BaseLoader, undefined=StrictUndefined, keep_trailing_newline=True) with the filter
regex_replace(string, pattern, repl, count=0) = re.sub(pattern, repl, string, count=count). A case whose render
raises is recorded as {"error": true}.
"""
import json
import re
import sys

import jinja2
from jinja2 import BaseLoader, Environment, StrictUndefined


def regex_replace(string, pattern, repl, count=0):
    return re.sub(pattern, repl, string, count=count)


env = Environment(loader=BaseLoader, undefined=StrictUndefined, keep_trailing_newline=True)
env.filters["regex_replace"] = regex_replace

DOC = {
    "question": "  What is 2+2?  ",
    "choices": {"text": ["three", "four"], "label": ["A", "B"]},
    "answer": "B",
    "ctx_a": "A man is sitting", "ctx_b": "on a roof.",
    "n": 3, "flag": True, "ratio": 0.5,
    "passage": "First [title] line.\nSecond line",
}

CASES = [
    "Question: {{question.strip()}}\nAnswer:",
    "{{question}}\n",
    "{% if flag %}\n  yes\n{% endif %}\nend\n",
    "{% for c in choices.text %}  {{loop.index}}. {{c}}\n{% endfor %}",
    "{{ctx_a + ' ' + ctx_b.capitalize()}}",
    "{{choices.label.index(answer)}}",
    "{{passage | regex_replace('\\\\[title\\\\]', '')}}",
    "{{passage | regex_replace('(\\\\w+) line', '\\\\1-LINE')}}",
    "{{passage | regex_replace('line', 'L', 1)}}",
    "{{n}} {{flag}} {{ratio}} {{choices.text}}",
    "{{ missing }}",
    "{{ question.split() | join('|') }}",
    "{%- for c in choices.text -%}\n{{c}}\n{%- endfor -%}\n\n",
    "{# comment #}\n{{answer}}",
]

out = []
for t in CASES:
    try:
        out.append({"template": t, "rendered": env.from_string(t).render(**DOC)})
    except Exception as e:  # StrictUndefined and friends: the Java side must fail too
        out.append({"template": t, "error": True, "message": type(e).__name__})
json.dump({"peer": "python3-jinja2 " + jinja2.__version__ + " (Debian), lm-eval's environment", "doc": DOC, "cases": out},
          sys.stdout, indent=1, ensure_ascii=False)
print()
