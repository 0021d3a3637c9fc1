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

    /**
     * The error function to about 1e-14: its Maclaurin series below 2.5 (terms peak near 16, so little is lost
     * to cancellation), else 1 - erfc by the Laplace continued fraction evaluated bottom-up.
     */
    static final class Erf {
        private Erf() {
        }

        static double erf(double x) {
            double a = Math.abs(x);
            if (a < 2.5) {
                double sum = 0;
                double power = x; // (-1)^n x^(2n+1) / n!
                for (int n = 0; n < 200; n++) {
                    double term = power / (2 * n + 1);
                    sum += term;
                    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) {
                        break;
                    }
                    power *= -x * x / (n + 1);
                }
                return 2 / Math.sqrt(Math.PI) * sum;
            }
            double f = 0;
            for (int k = 120; k > 0; k--) {
                f = (k / 2.0) / (a + f);
            }
            double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
            return x > 0 ? 1 - erfc : erfc - 1;
        }
    }
}
