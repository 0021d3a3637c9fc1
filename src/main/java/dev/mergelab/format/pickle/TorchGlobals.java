package dev.mergelab.format.pickle;

import dev.mergelab.tensor.DType;
import java.util.HashMap;
import java.util.Map;

/**
 * The globals a torch state dict may name: the subset of what torch's {@code weights_only} loader allows
 * ({@code torch/_weights_only_unpickler.py}) that dense state dicts use. A GLOBAL or STACK_GLOBAL naming
 * anything else is refused when it is read, before anything is built. Nothing here is ever "called" in the
 * Python sense: {@link PickleMachine} interprets the few rebuild functions itself into inert records.
 */
final class TorchGlobals {

    private TorchGlobals() {
    }

    /** What an allowed global is to the machine. */
    enum Kind {
        /** {@code collections.OrderedDict}: REDUCE with no arguments makes an empty ordered dict. */
        ORDERED_DICT,
        /** {@code torch._utils._rebuild_tensor}: (storage, offset, size, stride). */
        REBUILD_TENSOR,
        /** {@code torch._utils._rebuild_tensor_v2}: (storage, offset, size, stride, requires_grad, hooks[, metadata]). */
        REBUILD_TENSOR_V2,
        /** {@code torch._utils._rebuild_parameter}: (tensor, requires_grad, hooks). */
        REBUILD_PARAMETER,
        /** {@code torch._utils._rebuild_parameter_with_state}: (tensor, requires_grad, hooks, state). */
        REBUILD_PARAMETER_WITH_STATE,
        /** {@code torch.nn.parameter.Parameter}, through NEWOBJ: (tensor[, requires_grad]). */
        PARAMETER,
        /** {@code torch.Size}: REDUCE with one tuple of ints. */
        TORCH_SIZE,
        /** A storage class ({@code torch.FloatStorage}, ...): appears in persistent ids, never called. */
        STORAGE,
        /** A dtype ({@code torch.float16}): a plain value. */
        DTYPE,
        /** Allowed by torch but not a dense state-dict tensor (sparse, meta, quantized, complex): refused when used. */
        UNSUPPORTED
    }

    /** An allowed global; {@code dtype} for storages and dtypes MergeLab decodes, else null. */
    record Global(String name, Kind kind, DType dtype) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Map<String, Global> ALLOWED = new HashMap<>();

    private static void allow(String name, Kind kind, DType dtype) {
        ALLOWED.put(name, new Global(name, kind, dtype));
    }

    static {
        allow("collections.OrderedDict", Kind.ORDERED_DICT, null);
        allow("torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR, null);
        allow("torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2, null);
        allow("torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER, null);
        allow("torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE, null);
        allow("torch.nn.parameter.Parameter", Kind.PARAMETER, null);
        allow("torch.Size", Kind.TORCH_SIZE, null);
        for (String f : new String[] {"_rebuild_sparse_tensor", "_rebuild_sparse_csr_tensor", "_rebuild_meta_tensor_no_storage"}) {
            allow("torch._utils." + f, Kind.UNSUPPORTED, null);
        }
        allow("torch.Tensor", Kind.UNSUPPORTED, null);
        allow("torch.serialization._get_layout", Kind.UNSUPPORTED, null);
        storage("Double", DType.F64);
        storage("Float", DType.F32);
        storage("Half", DType.F16);
        storage("BFloat16", DType.BF16);
        storage("Long", DType.I64);
        storage("Int", DType.I32);
        storage("Short", DType.I16);
        storage("Char", DType.I8);
        storage("Byte", DType.U8);
        storage("Bool", DType.BOOL);
        for (String s : new String[] {"ComplexFloat", "ComplexDouble", "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4"}) {
            storage(s, null);
        }
        dtype("float64", DType.F64);
        dtype("float32", DType.F32);
        dtype("float16", DType.F16);
        dtype("bfloat16", DType.BF16);
        dtype("int64", DType.I64);
        dtype("int32", DType.I32);
        dtype("int16", DType.I16);
        dtype("int8", DType.I8);
        dtype("uint8", DType.U8);
        dtype("bool", DType.BOOL);
        dtype("complex32", null);
        dtype("complex64", null);
        dtype("complex128", null);
    }

    private static void storage(String prefix, DType dtype) {
        allow("torch." + prefix + "Storage", Kind.STORAGE, dtype);
    }

    private static void dtype(String name, DType dtype) {
        allow("torch." + name, Kind.DTYPE, dtype);
    }

    /** The allowed global {@code module.name}, or null when torch's weights_only loader would not allow it either. */
    static Global lookup(String module, String name) {
        return ALLOWED.get(module + "." + name);
    }
}
