package dev.mergelab.tensor;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * Chooses, once per JVM, between the scalar reference kernels and the Vector API ones.
 *
 * <p>The vector implementations are used when all of these hold: the system property
 * {@code mergelab.vector} is not {@code false}; the {@code jdk.incubator.vector} module is in the boot
 * layer (the JVM was started with {@code --add-modules jdk.incubator.vector}); the preferred vector
 * shape is at least 128 bits; and the JIT can compile the vector intrinsics (C2 present, not
 * {@code -Xint} or {@code -XX:TieredStopAtLevel} below 4; without C2 the Vector API runs as plain,
 * very slow Java). The reduction kernels also want a hardware FMA ({@code UseFMA}); without it they
 * stay scalar, whose {@code Math.fma} then uses the exact double-based fallback.
 *
 * <p>The vector classes are only loaded after the module check, so running without the module costs
 * nothing but the scalar speed.
 */
public final class Vectorization {

    /** Dot-product lanes of the scalar matrix kernels when the Vector API is absent (AVX2's width). */
    private static final int DEFAULT_MATRIX_LANES = 8;

    private static final CodecSupport VECTOR_CODECS;
    private static final KernelSupport VECTOR_KERNELS;
    private static final CodecSupport CODECS;
    private static final KernelSupport KERNELS;
    private static final MatrixSupport VECTOR_MATRICES;
    private static final MatrixSupport MATRICES;
    private static final String DESCRIPTION;

    static {
        CodecSupport vc = null;
        KernelSupport vk = null;
        MatrixSupport vm = null;
        String why;
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            why = "jdk.incubator.vector not loaded (add --add-modules jdk.incubator.vector)";
        } else {
            try {
                vc = VectorCodecSupport.INSTANCE;
                vk = VectorKernelSupport.available() ? VectorKernelSupport.INSTANCE : null;
                vm = VectorMatrixSupport.INSTANCE;
                why = null;
            } catch (LinkageError | RuntimeException e) {
                why = "Vector API failed to initialise: " + e;
            }
        }
        VECTOR_CODECS = vc;
        VECTOR_KERNELS = vk;
        VECTOR_MATRICES = vm;

        String jitProblem = jitProblem();
        boolean wanted = !"false".equalsIgnoreCase(System.getProperty("mergelab.vector", "true"));
        if (!wanted) {
            why = "disabled by -Dmergelab.vector=false";
        } else if (why == null && jitProblem != null) {
            why = jitProblem;
        }
        boolean use = wanted && why == null;
        CODECS = use ? vc : ScalarCodecSupport.INSTANCE;
        KERNELS = use && vk != null && hasFma() ? vk : ScalarKernelSupport.INSTANCE;
        // The scalar fallback keeps the vector lane count when it is known, so turning the Vector API
        // off changes the speed of the matrix kernels, not their bits.
        MATRICES = use && vm != null && hasFma() ? vm
                : ScalarMatrixSupport.withLanes(vm != null ? vm.lanes() : DEFAULT_MATRIX_LANES);
        DESCRIPTION = "codecs=" + CODECS.name() + ", kernels=" + KERNELS.name() + ", matrices=" + MATRICES.name()
                + (why != null ? " (" + why + ")" : "");
    }

    private Vectorization() {
    }

    /** The codec implementation in use. */
    public static CodecSupport codecs() {
        return CODECS;
    }

    /** The kernel implementation in use. */
    public static KernelSupport kernels() {
        return KERNELS;
    }

    /**
     * Whether the Vector API kernels are in use (the choice this class made for {@link #kernels()}).
     * Kernels in higher layers with a scalar and a vector form pick theirs by this, and take their
     * species from {@link VectorShapes}, so one switch and one width govern every kernel.
     */
    public static boolean vectorised() {
        return KERNELS != ScalarKernelSupport.INSTANCE;
    }

    /** The matrix kernel implementation in use. */
    public static MatrixSupport matrices() {
        return MATRICES;
    }

    /** The scalar reference matrix kernels with {@code lanes} dot-product lanes, for tests and benchmarks. */
    public static MatrixSupport scalarMatrices(int lanes) {
        return ScalarMatrixSupport.withLanes(lanes);
    }

    /** The Vector API matrix kernels if the module is present, whether or not they were chosen. */
    public static Optional<MatrixSupport> vectorMatrices() {
        return Optional.ofNullable(VECTOR_MATRICES);
    }

    /** The scalar reference codecs, for tests and benchmarks. */
    public static CodecSupport scalarCodecs() {
        return ScalarCodecSupport.INSTANCE;
    }

    /** The scalar reference kernels, for tests and benchmarks. */
    public static KernelSupport scalarKernels() {
        return ScalarKernelSupport.INSTANCE;
    }

    /** The Vector API codecs if the module is present, whether or not they were chosen. */
    public static Optional<CodecSupport> vectorCodecs() {
        return Optional.ofNullable(VECTOR_CODECS);
    }

    /** The Vector API kernels if the module is present and the shape suits them, whether or not chosen. */
    public static Optional<KernelSupport> vectorKernels() {
        return Optional.ofNullable(VECTOR_KERNELS);
    }

    /** One line saying what was chosen and why, for {@code --version} style output and logs. */
    public static String description() {
        return DESCRIPTION;
    }

    private static String jitProblem() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (System.getProperty("java.vm.info", "").contains("interpreted")) {
                return "interpreter only (-Xint)";
            }
            int level = Integer.parseInt(hs.getVMOption("TieredStopAtLevel").getValue());
            if (level < 4) {
                return "C2 disabled (-XX:TieredStopAtLevel=" + level + ")";
            }
            return null;
        } catch (RuntimeException | LinkageError e) {
            return null; // not HotSpot or no management module: assume a JIT that handles the Vector API
        }
    }

    private static boolean hasFma() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Boolean.parseBoolean(hs.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }
}
