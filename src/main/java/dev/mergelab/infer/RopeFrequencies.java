package dev.mergelab.infer;

/**
 * Inverse frequencies and the cos/sin scale of a RoPE type, computed in double exactly as Transformers'
 * {@code modeling_rope_utils} init functions do; {@code seqLen} is the length the dynamic update sees
 * (Transformers' {@code dynamic_rope_update}: NTK-dynamic grows the base once a sequence passes
 * {@code max_position_embeddings}; LongRoPE takes the long factors once it passes the original length).
 */
public record RopeFrequencies(double[] invFreq, double attentionFactor) {

    public static RopeFrequencies compute(RopeParameters p, int seqLen) {
        int dim = p.rotaryDim();
        double base = p.theta();
        int half = dim / 2;
        double[] exps = new double[half];
        for (int j = 0; j < half; j++) {
            exps[j] = (2.0 * j) / dim;
        }
        return switch (p.type()) {
            case "default" -> new RopeFrequencies(plain(base, exps, 1), 1);
            case "linear" -> new RopeFrequencies(plain(base, exps, p.require("factor")), 1);
            case "dynamic" -> {
                int mpe = p.maxPositionEmbeddings();
                double factor = p.require("factor");
                double s = Math.max(seqLen, mpe);
                double b = base * Math.pow(factor * s / mpe - (factor - 1), (double) dim / (dim - 2));
                yield new RopeFrequencies(plain(b, exps, 1), 1);
            }
            case "llama3" -> new RopeFrequencies(llama3(p, plain(base, exps, 1)), 1);
            case "yarn" -> yarn(p, base, exps, dim);
            case "longrope" -> longrope(p, base, exps, seqLen);
            default -> throw new IllegalStateException(p.type());
        };
    }

    private static double[] plain(double base, double[] exps, double divisor) {
        double[] inv = new double[exps.length];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = 1.0 / Math.pow(base, exps[j]) / divisor;
        }
        return inv;
    }

    private static double[] llama3(RopeParameters p, double[] inv) {
        double factor = p.require("factor");
        double lo = p.require("low_freq_factor");
        double hi = p.require("high_freq_factor");
        double old = p.require("original_max_position_embeddings");
        double loWavelen = old / lo;
        double hiWavelen = old / hi;
        double[] out = new double[inv.length];
        for (int j = 0; j < inv.length; j++) {
            double wavelen = 2 * Math.PI / inv[j];
            double scaled = wavelen > loWavelen ? inv[j] / factor : inv[j];
            if (!(wavelen < hiWavelen) && !(wavelen > loWavelen)) {
                double smooth = (old / wavelen - lo) / (hi - lo);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            out[j] = scaled;
        }
        return out;
    }

    private static RopeFrequencies yarn(RopeParameters p, double base, double[] exps, int dim) {
        double orig = p.require("original_max_position_embeddings");
        Double f = p.optional("factor");
        double factor = f != null ? f : p.maxPositionEmbeddings() / orig;
        Double att = p.optional("attention_factor");
        if (att == null) {
            Double mscale = p.optional("mscale");
            Double mscaleAllDim = p.optional("mscale_all_dim");
            // Python truthiness: a 0 mscale counts as absent
            if (mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0) {
                att = mscale(factor, mscale) / mscale(factor, mscaleAllDim);
            } else {
                att = mscale(factor, 1);
            }
        }
        Double bf = p.optional("beta_fast");
        Double bs = p.optional("beta_slow");
        double betaFast = bf == null || bf == 0 ? 32 : bf;
        double betaSlow = bs == null || bs == 0 ? 1 : bs;
        double low = correctionDim(betaFast, dim, base, orig);
        double high = correctionDim(betaSlow, dim, base, orig);
        var truncate = p.values().get("truncate");
        if (truncate == null || truncate.isNull() || truncate.asBoolean()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // Transformers' guard against a zero-width ramp
        }
        double[] inv = new double[exps.length];
        for (int j = 0; j < inv.length; j++) {
            double pos = Math.pow(base, exps[j]);
            double ramp = Math.min(1, Math.max(0, (j - low) / (high - low)));
            double extrapolation = 1 - ramp;
            inv[j] = 1.0 / (factor * pos) * (1 - extrapolation) + 1.0 / pos * extrapolation;
        }
        return new RopeFrequencies(inv, att);
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    private static double correctionDim(double rotations, int dim, double base, double maxPos) {
        return dim * Math.log(maxPos / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    private static RopeFrequencies longrope(RopeParameters p, double base, double[] exps, int seqLen) {
        double orig = p.require("original_max_position_embeddings");
        Double f = p.optional("factor");
        double factor = f != null ? f : p.maxPositionEmbeddings() / orig;
        Double att = p.optional("attention_factor");
        if (att == null) {
            att = factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
        }
        double[] ext = p.factors(seqLen > p.longropeThreshold() ? "long_factor" : "short_factor");
        double[] inv = new double[exps.length];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = 1.0 / (ext[j] * Math.pow(base, exps[j]));
        }
        return new RopeFrequencies(inv, att);
    }
}
