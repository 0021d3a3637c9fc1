package dev.mergelab.model.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;

/**
 * llama3 RoPE scaling recovered from rope_freqs.weight as the converter computes it (float32 torch arithmetic): Meta's
 * Llama 3.1 and 3.2 settings come back exactly; divisors that are no llama3 rule are refused.
 */
class GgufImportLlama3RopeTest {

    /** The converter's rope_freqs (conversion/llama.py generate_extra_tensors), float32 as torch computes it. */
    static float[] converterFreqs(double theta, int dim, float factor, float low, float high, double old) {
        double lowWavelen = old / low, highWavelen = old / high;
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            float freq = 1.0f / (float) Math.pow((float) theta, (float) (2 * i) / (float) dim);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) {
                out[i] = 1;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                float smooth = ((float) old / wavelen - low) / (high - low);
                out[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return out;
    }

    @Test
    void metasLlama3SettingsComeBackExactly() {
        for (float factor : new float[] {8, 32}) {
            ObjectNode r = Llama3Rope.recover(converterFreqs(500000, 128, factor, 1, 4, 8192), 500000, 128, "x.gguf");
            assertEquals("llama3", r.get("rope_type").asText());
            assertEquals(factor, r.get("factor").asDouble());
            assertEquals(1.0, r.get("low_freq_factor").asDouble());
            assertEquals(4.0, r.get("high_freq_factor").asDouble());
            assertEquals(8192, r.get("original_max_position_embeddings").asInt());
        }
    }

    @Test
    void divisorsOfOneNeedNoScalingAndOthersThatAreNoLlama3RuleAreRefused() {
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        assertNull(Llama3Rope.recover(ones, 500000, 128, "x.gguf"));
        float[] odd = converterFreqs(500000, 128, 8, 1, 4, 8192);
        odd[5] = 3.5f; // a short wavelength scaled: no llama3 rule does that
        MergeLabException e = assertThrows(MergeLabException.class, () -> Llama3Rope.recover(odd, 500000, 128, "x.gguf"));
        assertEquals("x.gguf: rope_freqs.weight is not llama3 RoPE scaling MergeLab can turn back into a config", e.getMessage());
    }
}
