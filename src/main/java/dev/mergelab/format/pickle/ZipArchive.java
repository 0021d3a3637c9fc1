package dev.mergelab.format.pickle;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.Untrusted;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries of a zip file as torch.save writes it (stored, uncompressed, 64-byte aligned, zip64 past 4 GiB),
 * read from its central directory over a mapping: each entry is a zero-copy slice of the file. Compressed or
 * encrypted entries, entries outside the file or past the central directory, names that are not UTF-8 or
 * appear twice, and a local header that disagrees with the central one are refused in one line. CRCs are not
 * checked: that would read every byte of every tensor on open, and a wrong byte is no safety issue here.
 */
final class ZipArchive {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    /** Far above any checkpoint (one record per storage). */
    static final long MAX_ENTRIES = 1_000_000;

    private final Map<String, MemorySegment> entries;

    private ZipArchive(Map<String, MemorySegment> entries) {
        this.entries = entries;
    }

    /** Entry name to its bytes, in central-directory order. */
    Map<String, MemorySegment> entries() {
        return entries;
    }

    static ZipArchive read(MemorySegment file, String where) {
        long size = file.byteSize();
        long eocd = findEocd(file, where);
        long entryCount = u16(file, eocd + 10);
        long cdSize = u32(file, eocd + 12);
        long cdOffset = u32(file, eocd + 16);
        long cdLimit = eocd;
        if (eocd >= 20 && file.get(U32, eocd - 20) == ZIP64_LOCATOR) {
            long z = file.get(U64, eocd - 20 + 8);
            if (z < 0 || z > eocd - 20 - 56 || file.get(U32, z) != ZIP64_EOCD) {
                throw bad(where, "its zip64 end record is missing or misplaced");
            }
            entryCount = file.get(U64, z + 32);
            cdSize = file.get(U64, z + 40);
            cdOffset = file.get(U64, z + 48);
            cdLimit = z;
        }
        if (entryCount < 0 || entryCount > MAX_ENTRIES) {
            throw bad(where, "it claims " + Long.toUnsignedString(entryCount) + " entries (at most " + MAX_ENTRIES + ")");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw bad(where, "its central directory lies outside the file (truncated?)");
        }
        if (entryCount * 46 > cdSize) {
            throw bad(where, "its central directory is too small for " + entryCount + " entries");
        }
        Map<String, MemorySegment> out = new LinkedHashMap<>();
        long p = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < entryCount; i++) {
            if (cdEnd - p < 46 || file.get(U32, p) != CENTRAL) {
                throw bad(where, "central directory entry " + i + " is malformed");
            }
            int flags = u16(file, p + 8);
            int method = u16(file, p + 10);
            long compSize = u32(file, p + 20);
            long rawSize = u32(file, p + 24);
            int nameLen = u16(file, p + 28);
            int extraLen = u16(file, p + 30);
            int commentLen = u16(file, p + 32);
            long local = u32(file, p + 42);
            long next = p + 46 + nameLen + extraLen + commentLen;
            if (next > cdEnd) {
                throw bad(where, "central directory entry " + i + " runs past the directory");
            }
            String name = name(file, p + 46, nameLen, where);
            // zip64: the extra field holds the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
            long e = p + 46 + nameLen;
            long eEnd = e + extraLen;
            while (eEnd - e >= 4) {
                int id = u16(file, e);
                int len = u16(file, e + 2);
                if (len > eEnd - e - 4) {
                    throw bad(where, "entry '" + Untrusted.show(name) + "' has a malformed extra field");
                }
                if (id == 1) {
                    long q = e + 4;
                    long qEnd = q + len;
                    if (rawSize == 0xFFFFFFFFL) {
                        rawSize = zip64Field(file, q, qEnd, name, where);
                        q += 8;
                    }
                    if (compSize == 0xFFFFFFFFL) {
                        compSize = zip64Field(file, q, qEnd, name, where);
                        q += 8;
                    }
                    if (local == 0xFFFFFFFFL) {
                        local = zip64Field(file, q, qEnd, name, where);
                    }
                }
                e += 4 + len;
            }
            if ((flags & 1) != 0) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' is encrypted");
            }
            if (method != 0) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' is compressed (zip method " + method
                        + "); torch.save stores entries uncompressed, so MergeLab can map them");
            }
            if (compSize != rawSize || compSize < 0) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' is stored but its two sizes differ");
            }
            if (local < 0 || local > cdOffset - 30 || file.get(U32, local) != LOCAL) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' has no local header where the directory says");
            }
            int localNameLen = u16(file, local + 26);
            int localExtraLen = u16(file, local + 28);
            long data = local + 30 + localNameLen + localExtraLen;
            if (data > cdOffset || compSize > cdOffset - data) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' runs past the end of the entries (truncated?)");
            }
            if (!name.equals(name(file, local + 30, localNameLen, where))) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' has another name in its local header");
            }
            if (out.putIfAbsent(name, file.asSlice(data, compSize)) != null) {
                throw bad(where, "entry '" + Untrusted.show(name) + "' appears twice");
            }
            p = next;
        }
        return new ZipArchive(out);
    }

    /** The end-of-central-directory record: the last signature whose comment ends exactly at the end of the file. */
    private static long findEocd(MemorySegment file, String where) {
        long size = file.byteSize();
        for (long p = size - 22; p >= 0 && p >= size - 22 - 0xFFFF; p--) {
            if (file.get(U32, p) == EOCD && p + 22 + u16(file, p + 20) == size) {
                if (u16(file, p + 4) != 0 || u16(file, p + 6) != 0) {
                    throw bad(where, "it is a multi-volume zip");
                }
                return p;
            }
        }
        throw bad(where, "it has no zip end record (truncated zip?)");
    }

    private static long zip64Field(MemorySegment file, long q, long end, String name, String where) {
        if (end - q < 8) {
            throw bad(where, "entry '" + Untrusted.show(name) + "' lacks its zip64 sizes");
        }
        return file.get(U64, q);
    }

    private static String name(MemorySegment file, long at, int len, String where) {
        if (at + len > file.byteSize()) {
            throw bad(where, "an entry name runs past the end of the file");
        }
        byte[] b = file.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw bad(where, "an entry name is not valid UTF-8");
        }
    }

    private static int u16(MemorySegment f, long at) {
        return f.get(U16, at) & 0xFFFF;
    }

    private static long u32(MemorySegment f, long at) {
        return f.get(U32, at) & 0xFFFFFFFFL;
    }

    private static MergeLabException bad(String where, String what) {
        return MergeLabException.input(where + ": not a readable torch.save zip: " + what, "re-download or re-save the checkpoint");
    }
}
