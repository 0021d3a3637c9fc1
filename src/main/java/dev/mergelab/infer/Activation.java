package dev.mergelab.infer;

import dev.mergelab.MergeLabException;

/** The MLP activations of the supported families, by their Transformers ACT2FN names. */
public enum Activation {
    SILU("silu"),
    GELU_TANH("gelu_pytorch_tanh"),
    GELU("gelu"),
    RELU("relu");

    private final String configName;

    Activation(String configName) {
        this.configName = configName;
    }

    public static Activation byName(String name) {
        String n = name.equals("swish") ? "silu" : name.equals("gelu_new") || name.equals("gelu_fast") ? "gelu_pytorch_tanh" : name;
        for (Activation a : values()) {
            if (a.configName.equals(n)) {
                return a;
            }
        }
        throw MergeLabException.input("unsupported activation '" + name + "'",
                "supported: silu, gelu_pytorch_tanh, gelu, relu");
    }

    public float apply(float v) {
        double x = v;
        return (float) switch (this) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case RELU -> Math.max(0, x);
        };
    }

    /** The error function to double precision (W. J. Cody's rational approximations, as in libm's erf). */
    static final class Erf {
        private Erf() {
        }

        static double erf(double x) {
            double a = Math.abs(x);
            double r;
            if (a < 0.5) {
                double t = x * x;
                double top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t
                        + 377.485237685302021) * t + 3209.37758913846947;
                double bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t
                        + 1282.61652607737228) * t + 2844.23683343917062;
                return x * top / bot;
            } else if (a < 4) {
                double top = (((((((5.64188496988670089e-1 * a + 8.88314979438837594) * a + 66.1191906371416295) * a
                        + 298.635138197400131) * a + 881.952221241769090) * a + 1712.04761263407058) * a
                        + 2051.07837782607147) * a + 1230.33935479799725) * a + 2.15311535474403846e-8;
                double bot = (((((((a + 15.7449261107098347) * a + 117.693950891312499) * a + 537.181101862009858) * a
                        + 1621.38957456669019) * a + 3290.79923573345963) * a + 4362.61909014324716) * a
                        + 3439.36767414372164) * a + 1230.33935480374942;
                r = Math.exp(-a * a) * top / bot;
            } else {
                double z = 1 / (a * a);
                double top = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z
                        + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
                double bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z
                        + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
                r = Math.exp(-a * a) / a * (1 / Math.sqrt(Math.PI) - z * top / bot);
            }
            return x < 0 ? r - 1 : 1 - r;
        }
    }
}
