package dev.mergelab.lab.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mergelab.lab.registry.SearchLog;
import java.util.List;

/**
 * A search's evaluations in the lab's {@code search_evals} table. Genotypes and values are JSON arrays of numbers
 * written in shortest round-trip form, so a replayed genotype compares equal bit for bit; a value that is not a
 * finite number is stored as null and read back as NaN.
 */
public final class LabEvalLog implements EvalLog {

    private final SearchLog dao;
    private final String search;

    public LabEvalLog(SearchLog dao, String search) {
        this.dao = dao;
        this.search = search;
    }

    @Override
    public List<EvalRecord> recorded() {
        return dao.evals(search).stream().map(e -> new EvalRecord(e.step(), e.generation(), numbers(e.genotype()), e.recipe(),
                e.candidate(), numbers(e.objectives()), e.fitness(), e.mergeSeconds(), e.evalSeconds())).toList();
    }

    @Override
    public void append(EvalRecord r) {
        dao.append(new SearchLog.Eval(search, r.step(), r.generation(), json(r.genotype()), r.recipe(), r.candidate(),
                json(r.values()), r.fitness(), r.mergeSeconds(), r.evalSeconds(), null));
    }

    static ArrayNode json(double[] v) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (double d : v) {
            if (Double.isFinite(d)) {
                a.add(d);
            } else {
                a.addNull();
            }
        }
        return a;
    }

    static double[] numbers(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).isNumber() ? a.get(i).doubleValue() : Double.NaN;
        }
        return v;
    }
}
