/**
 * Jinja templates rendered the way Hugging Face transformers renders chat templates with Python's jinja2:
 * HubSpot Jinjava configured as transformers' {@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True, extensions=[loopcontrols])} with its globals {@code raise_exception} and
 * {@code strftime_now}, its {@code tojson} filter ({@code json.dumps} with {@code ensure_ascii=False}), the
 * {@code {% generation %}} tag, and the Python string methods templates call ({@code strip}, {@code split},
 * {@code startswith}, ...). Where Jinjava differs from jinja2 the difference is worked around here, each
 * workaround named in {@link dev.mergelab.jinja.JinjaSource} or {@link dev.mergelab.jinja.JinjaTemplate};
 * {@code ChatTemplateParityTest} holds renders made by jinja2 itself.
 *
 * <p>Known differences left (no template of the tested families depends on them): Jinjava has one null for
 * Python's None and jinja2's Undefined, so {@code {{ none }}} prints nothing (jinja2: {@code None}), an
 * undefined name {@code is none} (jinja2: not), and a key whose value is None is not {@code defined}; attribute
 * access on an undefined value renders empty where jinja2 raises; integer literals stop at 64 bits; Jinjava's
 * own filters are used beyond those replaced here ({@code tojson}, {@code trim}) and the tests
 * ({@code iterable}, {@code sequence}), and their corner cases are Jinjava's.
 *
 * <p>Layering: a bottom layer; imports only {@link dev.mergelab.MergeLabException} of MergeLab.
 */
package dev.mergelab.jinja;
