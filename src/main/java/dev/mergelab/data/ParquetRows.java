package dev.mergelab.data;

import dev.mergelab.MergeLabException;
import io.airlift.compress.Decompressor;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import shaded.parquet.org.apache.thrift.TBase;
import shaded.parquet.org.apache.thrift.TConfiguration;
import shaded.parquet.org.apache.thrift.TException;
import shaded.parquet.org.apache.thrift.protocol.TCompactProtocol;
import shaded.parquet.org.apache.thrift.transport.TIOStreamTransport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads a whole Parquet file (a Hugging Face dataset split is a few MB) into rows of plain Java values:
 * strings, {@code Long} for every integer type, {@code Double} for FLOAT and DOUBLE, {@code Boolean}, {@code List}
 * for LIST columns, {@code Map<String, Object>} (in schema order) for structs and for MAP columns, {@code null}
 * for nulls, {@code BigDecimal} for DECIMAL and {@code byte[]} for other binary columns.
 *
 * <p>Value decoding and record assembly are parquet-java's ({@code parquet-column}: every encoding, repetition and
 * definition levels). The file layer is here, after the Parquet format specification: the footer (thrift, read by
 * {@code parquet-format-structures}), the schema, and each column chunk's pages, decompressed with aircompressor
 * (pure Java: SNAPPY, ZSTD, LZ4_RAW) or the JDK (GZIP). parquet-java's own file reader ({@code parquet-hadoop})
 * needs Hadoop's classes at run time even for a local file; this needs neither Hadoop nor native libraries.
 *
 * <p>Every failure to read (not Parquet, truncated, a footer, schema or page that does not decode, offsets outside
 * the file) is a one-line INPUT error naming the file. Sizes the file claims are checked against the file's size
 * (and a page against {@value #MAX_PAGE_BYTES} bytes) before anything is allocated for them.
 */
public final class ParquetRows {

    private static final int MAGIC = 0x31524150; // "PAR1" read little-endian
    /** Far above any page a dataset writer makes (they aim at about 1 MB); bounds what a bad header can cost. */
    static final int MAX_PAGE_BYTES = 256 << 20;

    private ParquetRows() {
    }

    public static List<Map<String, Object>> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw MergeLabException.input(file + ": " + (Files.exists(file) ? "is not a regular file" : "no such file"));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw MergeLabException.input(file + ": Parquet files over 2 GiB are not supported (split it)");
            }
            ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN);
            return readAll(data);
        } catch (MergeLabException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // parquet-java and thrift report bad bytes with many exception types, some with multi-line messages.
            throw MergeLabException.input(file + ": not a readable Parquet file (" + firstLine(e) + ")");
        }
    }

    private static List<Map<String, Object>> readAll(ByteBuffer data) throws IOException {
        int size = data.limit();
        if (size < 12 || data.getInt(0) != MAGIC || data.getInt(size - 4) != MAGIC) {
            throw new BadFile("no PAR1 magic at both ends (" + size + " bytes)");
        }
        int footerLength = data.getInt(size - 8);
        if (footerLength <= 0 || footerLength > size - 12) {
            throw new BadFile("footer length " + Integer.toUnsignedString(footerLength) + " does not fit the "
                    + size + "-byte file");
        }
        FileMetaData meta = thrift(new FileMetaData(), stream(data, size - 8 - footerLength, footerLength), footerLength);
        if (meta.isSetEncryption_algorithm()) {
            throw new BadFile("encrypted Parquet files are not supported");
        }
        MessageType schema = Schema.of(meta.getSchema());
        MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (RowGroup group : meta.getRow_groups()) {
            long n = group.getNum_rows();
            if (n < 0) {
                throw new BadFile("row group claims " + n + " rows");
            }
            // No upper check: run-length levels hold millions of null rows in a few bytes. A count the pages do
            // not back fails in the column readers, and rows are only allocated as they are read.
            RecordReader<Map<String, Object>> records = io.getRecordReader(new RowGroupPages(data, schema, group),
                    new Rows(schema));
            for (long i = 0; i < n; i++) {
                rows.add(records.read());
            }
        }
        return rows;
    }

    private static InputStream stream(ByteBuffer data, long offset, long length) {
        int size = data.limit();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new BadFile("bytes " + offset + "+" + length + " lie outside the " + size + "-byte file");
        }
        byte[] bytes = new byte[(int) length];
        data.get((int) offset, bytes);
        return new ByteArrayInputStream(bytes);
    }

    /**
     * Reads a thrift structure (the footer, a page header) from at most {@code limit} bytes. parquet-format's own
     * {@code Util} readers allow any string or list up to 100 MB, so a 10-byte footer could claim, and get, a
     * 90 MB allocation; with the limit at the bytes actually there, no claim can cost more than the file holds.
     * The thrift classes are parquet-format-structures' shaded copy, the types its structures read from.
     */
    private static <T extends TBase<?, ?>> T thrift(T target, InputStream in, int limit) {
        try {
            TConfiguration conf = new TConfiguration(Math.max(1, limit), Math.max(1, limit), 64);
            target.read(new TCompactProtocol(new TIOStreamTransport(conf, in)));
            return target;
        } catch (TException e) {
            throw new BadFile("cannot read the " + target.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** A structural problem found by this file layer (parquet-java's own exceptions are caught the same way). */
    private static final class BadFile extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadFile(String message) {
            super(message);
        }
    }

    /** The footer's flat, depth-first schema elements as parquet-java's schema. */
    private static final class Schema {
        private final List<SchemaElement> elements;
        private int next;

        private Schema(List<SchemaElement> elements) {
            this.elements = elements;
        }

        static MessageType of(List<SchemaElement> elements) {
            if (elements == null || elements.isEmpty()) {
                throw new BadFile("the footer has no schema");
            }
            Schema s = new Schema(elements);
            SchemaElement root = elements.get(s.next++);
            List<Type> fields = s.children(root.getNum_children(), 1);
            if (s.next != elements.size()) {
                throw new BadFile("the schema has " + (elements.size() - s.next) + " elements outside its tree");
            }
            return new MessageType(root.getName(), fields);
        }

        private List<Type> children(int count, int depth) {
            if (count < 0 || count > elements.size() - next || depth > 64) {
                throw new BadFile("the schema's tree is malformed");
            }
            List<Type> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(element(depth));
            }
            return out;
        }

        private Type element(int depth) {
            SchemaElement e = elements.get(next++);
            Type.Repetition rep = e.isSetRepetition_type()
                    ? Type.Repetition.valueOf(e.getRepetition_type().name()) : Type.Repetition.OPTIONAL;
            LogicalTypeAnnotation logical = logical(e);
            if (!e.isSetType()) {
                List<Type> kids = children(e.getNum_children(), depth + 1);
                if (kids.isEmpty()) {
                    throw new BadFile("group " + e.getName() + " of the schema has no fields");
                }
                return Types.buildGroup(rep).as(logical).addFields(kids.toArray(Type[]::new)).named(e.getName());
            }
            PrimitiveType.PrimitiveTypeName physical = physical(e.getType());
            Types.PrimitiveBuilder<PrimitiveType> b = Types.primitive(physical, rep);
            if (physical == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
                b = b.length(e.getType_length());
            }
            return b.as(logical).named(e.getName());
        }

        static PrimitiveType.PrimitiveTypeName physical(org.apache.parquet.format.Type t) {
            return switch (t) {
                case BOOLEAN -> PrimitiveType.PrimitiveTypeName.BOOLEAN;
                case INT32 -> PrimitiveType.PrimitiveTypeName.INT32;
                case INT64 -> PrimitiveType.PrimitiveTypeName.INT64;
                case INT96 -> PrimitiveType.PrimitiveTypeName.INT96;
                case FLOAT -> PrimitiveType.PrimitiveTypeName.FLOAT;
                case DOUBLE -> PrimitiveType.PrimitiveTypeName.DOUBLE;
                case BYTE_ARRAY -> PrimitiveType.PrimitiveTypeName.BINARY;
                case FIXED_LEN_BYTE_ARRAY -> PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY;
            };
        }

        /** The annotations the reader acts on; others (dates, times, UUIDs...) read as their physical values. */
        private static LogicalTypeAnnotation logical(SchemaElement e) {
            if (e.isSetLogicalType()) {
                var t = e.getLogicalType();
                if (t.isSetSTRING()) {
                    return LogicalTypeAnnotation.stringType();
                }
                if (t.isSetENUM()) {
                    return LogicalTypeAnnotation.enumType();
                }
                if (t.isSetJSON()) {
                    return LogicalTypeAnnotation.jsonType();
                }
                if (t.isSetLIST()) {
                    return LogicalTypeAnnotation.listType();
                }
                if (t.isSetMAP()) {
                    return LogicalTypeAnnotation.mapType();
                }
                if (t.isSetDECIMAL()) {
                    return LogicalTypeAnnotation.decimalType(t.getDECIMAL().getScale(), t.getDECIMAL().getPrecision());
                }
                if (t.isSetINTEGER()) {
                    return LogicalTypeAnnotation.intType(t.getINTEGER().getBitWidth(), t.getINTEGER().isIsSigned());
                }
                return null;
            }
            if (!e.isSetConverted_type()) {
                return null;
            }
            return switch (e.getConverted_type()) {
                case UTF8 -> LogicalTypeAnnotation.stringType();
                case ENUM -> LogicalTypeAnnotation.enumType();
                case JSON -> LogicalTypeAnnotation.jsonType();
                case LIST -> LogicalTypeAnnotation.listType();
                case MAP -> LogicalTypeAnnotation.mapType();
                case MAP_KEY_VALUE -> LogicalTypeAnnotation.MapKeyValueTypeAnnotation.getInstance();
                case DECIMAL -> LogicalTypeAnnotation.decimalType(e.getScale(), e.getPrecision());
                case UINT_8 -> LogicalTypeAnnotation.intType(8, false);
                case UINT_16 -> LogicalTypeAnnotation.intType(16, false);
                case UINT_32 -> LogicalTypeAnnotation.intType(32, false);
                case UINT_64 -> LogicalTypeAnnotation.intType(64, false);
                default -> null;
            };
        }
    }

    /** One row group's column chunks as parquet-java's page store: each chunk's pages, decompressed. */
    private static final class RowGroupPages implements PageReadStore {
        private final long rows;
        private final Map<List<String>, ColumnChunk> chunks = new HashMap<>();
        private final ByteBuffer data;

        RowGroupPages(ByteBuffer data, MessageType schema, RowGroup group) {
            this.data = data;
            this.rows = group.getNum_rows();
            for (ColumnChunk c : group.getColumns()) {
                if (!c.isSetMeta_data()) {
                    throw new BadFile("a column chunk has no metadata (external column files are not supported)");
                }
                chunks.put(c.getMeta_data().getPath_in_schema(), c);
            }
            for (ColumnDescriptor d : schema.getColumns()) {
                if (!chunks.containsKey(Arrays.asList(d.getPath()))) {
                    throw new BadFile("column " + String.join(".", d.getPath()) + " has no chunk in a row group");
                }
            }
        }

        @Override
        public PageReader getPageReader(ColumnDescriptor descriptor) {
            return new ChunkPages(data, chunks.get(Arrays.asList(descriptor.getPath())).getMeta_data());
        }

        @Override
        public long getRowCount() {
            return rows;
        }
    }

    /** The pages of one column chunk, read and decompressed in order. */
    private static final class ChunkPages implements PageReader {
        private final ColumnMetaData meta;
        private final Deque<DataPage> pages = new ArrayDeque<>();
        private DictionaryPage dictionary;

        ChunkPages(ByteBuffer data, ColumnMetaData meta) {
            this.meta = meta;
            long start = meta.getData_page_offset();
            if (meta.isSetDictionary_page_offset() && meta.getDictionary_page_offset() > 0) {
                start = Math.min(start, meta.getDictionary_page_offset());
            }
            InputStream in = stream(data, start, meta.getTotal_compressed_size());
            Inflater codec = codec(meta.getCodec());
            long values = 0;
            try {
                while (values < meta.getNum_values()) {
                    PageHeader h = thrift(new PageHeader(), in, in.available());
                    int stored = h.getCompressed_page_size();
                    int full = h.getUncompressed_page_size();
                    if (stored < 0 || full < 0 || full > MAX_PAGE_BYTES || stored > in.available()) {
                        throw new BadFile("a page of column " + String.join(".", meta.getPath_in_schema())
                                + " claims " + stored + " stored and " + full + " decoded bytes");
                    }
                    byte[] raw = in.readNBytes(stored);
                    switch (h.getType()) {
                        case DICTIONARY_PAGE -> dictionary = new DictionaryPage(BytesInput.from(codec.inflate(raw, full)),
                                h.getDictionary_page_header().getNum_values(),
                                encoding(h.getDictionary_page_header().getEncoding()));
                        case DATA_PAGE -> {
                            DataPageHeader d = h.getData_page_header();
                            pages.add(new DataPageV1(BytesInput.from(codec.inflate(raw, full)), d.getNum_values(), full,
                                    Statistics.getBuilderForReading(primitive()).build(),
                                    encoding(d.getRepetition_level_encoding()),
                                    encoding(d.getDefinition_level_encoding()), encoding(d.getEncoding())));
                            values += d.getNum_values();
                        }
                        case DATA_PAGE_V2 -> {
                            DataPageHeaderV2 d = h.getData_page_header_v2();
                            pages.add(pageV2(codec, d, raw, full));
                            values += d.getNum_values();
                        }
                        default -> { } // index pages carry nothing the rows need
                    }
                }
            } catch (IOException e) {
                throw new BadFile(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }

        private PrimitiveType primitive() {
            PrimitiveType.PrimitiveTypeName t = Schema.physical(meta.getType());
            return t == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY
                    ? Types.optional(t).length(1).named("v") : Types.optional(t).named("v");
        }

        /** Page v2: the levels are stored uncompressed in front of the (maybe compressed) values. */
        private DataPage pageV2(Inflater codec, DataPageHeaderV2 d, byte[] raw, int full) throws IOException {
            int rl = d.getRepetition_levels_byte_length();
            int dl = d.getDefinition_levels_byte_length();
            if (rl < 0 || dl < 0 || rl + dl > raw.length || rl + dl > full) {
                throw new BadFile("a v2 page's level lengths exceed the page");
            }
            byte[] values = Arrays.copyOfRange(raw, rl + dl, raw.length);
            boolean compressed = !d.isSetIs_compressed() || d.isIs_compressed();
            byte[] decoded = compressed ? codec.inflate(values, full - rl - dl) : values;
            return DataPageV2.uncompressed(d.getNum_rows(), d.getNum_nulls(), d.getNum_values(),
                    BytesInput.from(Arrays.copyOfRange(raw, 0, rl)), BytesInput.from(Arrays.copyOfRange(raw, rl, rl + dl)),
                    encoding(d.getEncoding()), BytesInput.from(decoded),
                    Statistics.getBuilderForReading(primitive()).build());
        }

        @Override
        public DictionaryPage readDictionaryPage() {
            return dictionary;
        }

        @Override
        public long getTotalValueCount() {
            return meta.getNum_values();
        }

        @Override
        public DataPage readPage() {
            return pages.poll();
        }
    }

    private static Encoding encoding(org.apache.parquet.format.Encoding e) {
        return Encoding.valueOf(e.name());
    }

    /** Undoes a page's compression, giving exactly the decoded size its header states. */
    private interface Inflater {
        byte[] inflate(byte[] in, int size) throws IOException;
    }

    /** The codecs as the Parquet format defines them: raw Snappy and LZ4 blocks, Zstandard frames, gzip. */
    private static Inflater codec(CompressionCodec c) {
        return switch (c) {
            case UNCOMPRESSED -> (in, size) -> {
                if (in.length != size) {
                    throw new BadFile("an uncompressed page has " + in.length + " bytes, its header says " + size);
                }
                return in;
            };
            case GZIP -> (in, size) -> {
                try (InputStream z = new GZIPInputStream(new ByteArrayInputStream(in))) {
                    byte[] out = z.readNBytes(size);
                    if (out.length != size || z.read() >= 0) {
                        throw new BadFile("a gzip page does not hold the " + size + " bytes its header says");
                    }
                    return out;
                }
            };
            // Snappy and Zstandard frames state their decoded size too: a page header that disagrees is refused
            // before its claim is allocated.
            case SNAPPY -> block(new SnappyDecompressor(), in -> SnappyDecompressor.getUncompressedLength(in, 0));
            case ZSTD -> block(new ZstdDecompressor(), in -> ZstdDecompressor.getDecompressedSize(in, 0, in.length));
            case LZ4_RAW -> block(new Lz4Decompressor(), in -> -1);
            default -> throw new BadFile("compression " + c + " is not supported (SNAPPY, ZSTD, GZIP, LZ4_RAW and "
                    + "UNCOMPRESSED are)");
        };
    }

    private static Inflater block(Decompressor codec, java.util.function.ToLongFunction<byte[]> statedSize) {
        return (in, size) -> {
            long stated = statedSize.applyAsLong(in);
            if (stated >= 0 && stated != size) {
                throw new BadFile("a page's compressed data holds " + stated + " bytes, its header says " + size);
            }
            byte[] out = new byte[size];
            int n = codec.decompress(in, 0, in.length, out, 0, size);
            if (n != size) {
                throw new BadFile("a page decompressed to " + n + " bytes, its header says " + size);
            }
            return out;
        };
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage();
        String text = e instanceof BadFile ? m : e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        int nl = text.indexOf('\n');
        text = nl < 0 ? text : text.substring(0, nl);
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** Builds one row per record; the converter tree mirrors the schema. */
    private static final class Rows extends RecordMaterializer<Map<String, Object>> {
        private final Struct root;

        Rows(MessageType schema) {
            this.root = new Struct(schema, v -> { });
        }

        @Override
        public Map<String, Object> getCurrentRecord() {
            return root.value;
        }

        @Override
        public GroupConverter getRootConverter() {
            return root;
        }
    }

    /** Where a converter hands its finished value: a struct field or a list's next element. */
    private interface Sink {
        void accept(Object value);
    }

    private static Converter converterFor(Type type, Sink sink) {
        if (type.isPrimitive()) {
            return new Primitive(type.asPrimitiveType(), sink);
        }
        GroupType group = type.asGroupType();
        LogicalTypeAnnotation logical = group.getLogicalTypeAnnotation();
        if (logical instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation && isThreeLevel(group)) {
            return new ListOf(group, sink);
        }
        if ((logical instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
                || logical instanceof LogicalTypeAnnotation.MapKeyValueTypeAnnotation) && isThreeLevel(group)) {
            return new MapOf(group, sink);
        }
        return new Struct(group, sink);
    }

    /** The standard LIST/MAP layout: the annotated group holds exactly one repeated group or field. */
    private static boolean isThreeLevel(GroupType group) {
        return group.getFieldCount() == 1 && group.getType(0).isRepetition(Type.Repetition.REPEATED);
    }

    /** A struct (or the record itself): a map of its fields in schema order, absent fields as null. */
    private static final class Struct extends GroupConverter {
        private final GroupType type;
        private final Sink sink;
        private final Converter[] fields;
        Map<String, Object> value;

        Struct(GroupType type, Sink sink) {
            this.type = type;
            this.sink = sink;
            this.fields = new Converter[type.getFieldCount()];
            for (int i = 0; i < fields.length; i++) {
                String name = type.getFieldName(i);
                Type field = type.getType(i);
                fields[i] = field.isRepetition(Type.Repetition.REPEATED)
                        ? repeatedField(field, name) // the legacy unannotated repeated field: a list
                        : converterFor(field, v -> value.put(name, v));
            }
        }

        private Converter repeatedField(Type field, String name) {
            return converterFor(field, v -> {
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) value.computeIfAbsent(name, k -> new ArrayList<>());
                list.add(v);
            });
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return fields[fieldIndex];
        }

        @Override
        public void start() {
            value = new LinkedHashMap<>();
            for (int i = 0; i < type.getFieldCount(); i++) {
                value.put(type.getFieldName(i), type.getType(i).isRepetition(Type.Repetition.REPEATED)
                        ? new ArrayList<>() : null);
            }
        }

        @Override
        public void end() {
            sink.accept(value);
        }
    }

    /** LIST: group (LIST) { repeated group list { element } }; an absent element is a null entry. */
    private static final class ListOf extends GroupConverter {
        private final Sink sink;
        private final GroupConverter repeated;
        List<Object> value;

        ListOf(GroupType type, Sink sink) {
            this.sink = sink;
            Type rep = type.getType(0);
            if (rep.isPrimitive() || rep.asGroupType().getFieldCount() != 1
                    || rep.getName().equals("array") || rep.getName().equals(type.getName() + "_tuple")) {
                // Legacy two-level lists: the repeated field is the element itself.
                Converter element = converterFor(rep.isPrimitive() ? rep : rep.asGroupType(), v -> value.add(v));
                this.repeated = element instanceof GroupConverter g ? g : new Wrapper(element);
            } else {
                this.repeated = new Element(rep.asGroupType(), v -> value.add(v));
            }
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return repeated;
        }

        @Override
        public void start() {
            value = new ArrayList<>();
        }

        @Override
        public void end() {
            sink.accept(value);
        }
    }

    /** A group whose only child is a primitive repeated element (two-level list of primitives). */
    private static final class Wrapper extends GroupConverter {
        private final Converter only;

        Wrapper(Converter only) {
            this.only = only;
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return only;
        }

        @Override
        public void start() {
        }

        @Override
        public void end() {
        }
    }

    /** The repeated middle level of a list: one element per occurrence, null when the element is absent. */
    private static final class Element extends GroupConverter {
        private final Sink sink;
        private final Converter element;
        private Object current;
        private boolean seen;

        Element(GroupType rep, Sink sink) {
            this.sink = sink;
            this.element = converterFor(rep.getType(0), v -> {
                current = v;
                seen = true;
            });
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return element;
        }

        @Override
        public void start() {
            current = null;
            seen = false;
        }

        @Override
        public void end() {
            sink.accept(seen ? current : null);
        }
    }

    /** MAP: group (MAP) { repeated group key_value { key; value } }, as a map keyed by the keys' text. */
    private static final class MapOf extends GroupConverter {
        private final Sink sink;
        private final Struct entry;
        Map<String, Object> value;

        MapOf(GroupType type, Sink sink) {
            this.sink = sink;
            GroupType kv = type.getType(0).asGroupType();
            this.entry = new Struct(kv, v -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> e = (Map<String, Object>) v;
                Object[] pair = e.values().toArray();
                value.put(String.valueOf(pair[0]), pair.length > 1 ? pair[1] : null);
            });
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return entry;
        }

        @Override
        public void start() {
            value = new LinkedHashMap<>();
        }

        @Override
        public void end() {
            sink.accept(value);
        }
    }

    /** A leaf: the physical value widened to a plain Java value as the logical type says. */
    private static final class Primitive extends PrimitiveConverter {
        private final Sink sink;
        private final LogicalTypeAnnotation logical;
        private final boolean text;

        Primitive(PrimitiveType type, Sink sink) {
            this.sink = sink;
            this.logical = type.getLogicalTypeAnnotation();
            this.text = logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                    || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
                    || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
        }

        @Override
        public void addBinary(Binary value) {
            if (text) {
                sink.accept(value.toStringUsingUTF8());
            } else if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
                sink.accept(new BigDecimal(new BigInteger(value.getBytes()), d.getScale()));
            } else {
                sink.accept(value.getBytes());
            }
        }

        @Override
        public void addBoolean(boolean value) {
            sink.accept(value);
        }

        @Override
        public void addDouble(double value) {
            sink.accept(value);
        }

        @Override
        public void addFloat(float value) {
            sink.accept((double) value);
        }

        @Override
        public void addInt(int value) {
            if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
                sink.accept(BigDecimal.valueOf(value, d.getScale()));
            } else if (logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && !i.isSigned()) {
                sink.accept(Integer.toUnsignedLong(value));
            } else {
                sink.accept((long) value);
            }
        }

        @Override
        public void addLong(long value) {
            if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
                sink.accept(BigDecimal.valueOf(value, d.getScale()));
            } else {
                sink.accept(value); // an unsigned 64-bit value above 2^63 stays as its two's-complement long
            }
        }
    }
}
