package dev.mergelab.lora;

import static dev.mergelab.lora.LoraTestSupport.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.synth.AdapterGenerator;
import dev.mergelab.synth.AdapterGenerator.Module;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken adapters give exit 2 and one line on stderr naming the problem, and never leave an output folder. */
class MalformedAdapterTest {

    @TempDir
    static Path tmp;
    static Path fam;
    static int n;

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withFineTunes(1), fam, 2);
    }

    static final Module Q = new Module("model.layers.0.self_attn.q_proj", 64, 64, 4, false);

    void refused(AdapterGenerator.Spec spec, UnaryOperator<String> editConfig, String expect) throws Exception {
        Path ad = tmp.resolve("ad" + (++n));
        AdapterGenerator.write(spec, ad);
        Path cfg = ad.resolve("adapter_config.json");
        Files.writeString(cfg, editConfig.apply(Files.readString(cfg)));
        Path out = tmp.resolve("out" + n);
        LoraTestSupport.Run r = cli("lora", "apply", fam.resolve("base").toString(), ad.toString(), out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expect), "expected '" + expect + "' in: " + r.err());
        assertFalse(Files.exists(out));
    }

    AdapterGenerator.Spec plain() {
        return AdapterGenerator.simple(List.of(Q), 4, 8, 1);
    }

    @Test
    void configProblems() throws Exception {
        refused(plain(), c -> "{not json", "not valid JSON");
        refused(plain(), c -> c.replace("\"r\" : 4", "\"r\" : \"four\""), "r is");
        refused(plain(), c -> c.replace("\"r\" : 4", "\"r\" : 0"), "r is 0");
        refused(plain(), c -> c.replace("\"peft_type\" : \"LORA\"", "\"peft_type\" : \"IA3\""), "peft_type");
        refused(plain(), c -> c.replace("\"bias\" : \"none\"", "\"use_dora\" : true"), "use_dora");
        refused(plain(), c -> c.replace("\"rank_pattern\" : { }", "\"rank_pattern\" : {\"(\" : 2}"), "not a valid regex");
        refused(plain(), c -> c.replace("\"lora_alpha\" : 8.0", "\"lora_alpha\" : [8]"), "lora_alpha");
        refused(plain(), c -> c.replace("\"r\" : 4", "\"r\" : 4, \"r\" : 8"), "not valid JSON");
    }

    @Test
    void mismatchesWithTheBase() throws Exception {
        // Rank in the file differs from the config's r.
        refused(plain(), c -> c.replace("\"r\" : 4", "\"r\" : 8"), "has rank 4 but adapter_config.json says 8");
        // A module the base does not have.
        refused(AdapterGenerator.simple(List.of(new Module("model.layers.9.self_attn.q_proj", 64, 64, 4, false)), 4, 8, 1), c -> c,
                "has no tensor model.layers.9.self_attn.q_proj.weight");
        // Wrong shape: k_proj is 32x64, the factors say 64x64.
        refused(AdapterGenerator.simple(List.of(new Module("model.layers.0.self_attn.k_proj", 64, 64, 4, false)), 4, 8, 1), c -> c,
                "PEFT expects lora_A [r, in] and lora_B [out, r]");
        // target_modules does not select the module.
        refused(plain(), c -> c.replace("\"q_proj\"", "\"v_proj\""), "target_modules does not select");
        // A saved whole tensor not listed in modules_to_save.
        float[] norm = new float[64];
        refused(new AdapterGenerator.Spec(List.of(Q), 4, 8, false, false, Map.of(), Map.of(),
                Map.of("model.norm.weight", new AdapterGenerator.Saved(new long[] {64}, norm)), List.of(), List.of("q_proj"), DType.F32, 1),
                c -> c, "modules_to_save does not list");
    }

    @Test
    void missingFilesAndAmbiguousPaths() throws Exception {
        Path empty = tmp.resolve("empty-adapter");
        Files.createDirectories(empty);
        LoraTestSupport.Run r = cli("lora", "apply", fam.resolve("base").toString(), empty.toString(), tmp.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("adapter_config.json"), r.err());
        Path plus = tmp.resolve("a+b");
        Files.createDirectories(plus);
        r = cli("lora", "apply", fam.resolve("base").toString(), plus.toString(), tmp.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("contains '+'"), r.err());
    }
}
