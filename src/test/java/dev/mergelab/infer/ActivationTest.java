package dev.mergelab.infer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The activations against values computed independently (erf from Python's math.erf; tanh GELU by its formula). */
class ActivationTest {

    @Test
    void erfMatchesKnownValuesOnBothSidesOfTheSeriesCutoff() {
        double[][] known = {
            {0.1, 0.1124629160182849}, {0.49, 0.511668261188523}, {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149}, {2.0, 0.9953222650189527}, {2.6, 0.9997639655834707}, {3.9, 0.9999999652077514},
            {4.5, 0.9999999998033839}, {6.0, 1.0}, {-1.3, -0.9340079449406524},
        };
        for (double[] k : known) {
            assertEquals(k[1], Activation.Erf.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
        }
    }

    @Test
    void geluAndSiluAtAFewPoints() {
        // gelu(x) = x * Phi(x); Phi(1) = 0.8413447460685429
        assertEquals(0.8413447460685429, Activation.GELU.apply(1f), 1e-7);
        assertEquals(-0.15865525393145707, Activation.GELU.apply(-1f), 1e-7);
        double x = 1.5;
        double tanhGelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        assertEquals(tanhGelu, Activation.GELU_TANH.apply(1.5f), 1e-7);
        assertEquals(2 / (1 + Math.exp(-2)), Activation.SILU.apply(2f), 1e-7);
        assertEquals(Activation.SILU, Activation.byName("swish"));
        assertThrows(dev.mergelab.MergeLabException.class, () -> Activation.byName("mish"));
    }
}
