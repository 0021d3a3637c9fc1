package dev.mergelab.jinja;

import java.beans.FeatureDescriptor;
import java.util.Iterator;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * Answers method calls on strings with Python's {@link PythonStrings} before Jinjava's bean resolver would call
 * Java's {@code String} methods of the same name. Everything else passes to the next resolver.
 */
final class PythonMethodResolver extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof CharSequence s) || method == null) {
            return null;
        }
        try {
            Object result = PythonStrings.call(s.toString(), method.toString(), params);
            context.setPropertyResolved(true);
            return result;
        } catch (NoSuchMethodException | IllegalArgumentException | ClassCastException e) {
            throw new ELException("'" + method + "' on a string: " + e.getMessage(), e);
        }
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    /**
     * {@code s[i]} on a string: the code point at i, counted from the end when negative, as in Python. (Jinjava
     * hands an integer subscript over as its decimal text.)
     */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!(base instanceof CharSequence cs)) {
            return null;
        }
        Long index = property instanceof Long || property instanceof Integer ? (Long) ((Number) property).longValue()
                : property instanceof String p && p.matches("-?[0-9]{1,9}") ? Long.valueOf(p) : null;
        if (index == null) {
            return null;
        }
        String s = cs.toString();
        int length = s.codePointCount(0, s.length());
        long i = index < 0 ? index + length : index;
        if (i < 0 || i >= length) {
            throw new ELException("string index out of range");
        }
        int at = s.offsetByCodePoints(0, (int) i);
        context.setPropertyResolved(true);
        return s.substring(at, s.offsetByCodePoints(at, 1));
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not ours: the next resolver decides
    }
}
