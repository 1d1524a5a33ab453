package dev.dualnet.parity;

import dev.dualnet.common.AtomicFiles;
import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.InvalidInputException;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy's {@code .npy} files as {@link NamedTensor}s, so tensors saved with {@code numpy.save}
 * (reference inputs and outputs from any framework) reach the serving side without Python, and
 * tensors go back the same way.
 *
 * <p>A file is the magic string {@code \x93NUMPY}, a format version, a header length, a header
 * that is a Python dict literal ({@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }})
 * and the raw data. Versions 1.0, 2.0 and 3.0 are read: they differ in the width of the header
 * length (2 bytes, then 4) and the header's encoding (Latin-1, then UTF-8). Only C order and the
 * little-endian dtypes of {@link ElementType} are read, since those are the bytes the runtime
 * holds; anything else is refused naming the file, what it holds and what would be read.
 */
public final class Npy {
    public static final String SUFFIX = ".npy";

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** The header, magic and lengths included, is padded to this, as numpy.save pads it. */
    private static final int ALIGNMENT = 64;
    private static final String SUPPORTED = "<f4, <f8, <f2, <i1, <u1, <i2, <i4, <i8, |b1, |i1, |u1";
    private static final String EXAMPLE_HEADER = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    private Npy() {}

    /**
     * Reads a {@code .npy} file; the tensor's name is the file name without {@code .npy}.
     *
     * @throws IOException naming the file, what was wrong with it and what was expected: not an
     *     .npy file, an unsupported version or dtype, Fortran order, a malformed header, or data
     *     shorter or longer than the header's shape needs
     */
    public static NamedTensor read(Path file) throws IOException {
        byte[] bytes;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new IOException(file + ": " + Files.size(file) + " bytes; .npy files of up to 2 GiB are read");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such .npy file", e);
        }
        if (bytes.length < MAGIC.length || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException(file + ": not an .npy file: it does not start with NumPy's magic string \\x93NUMPY;"
                    + " expected a file as numpy.save writes it");
        }
        if (bytes.length < MAGIC.length + 2) {
            throw truncatedHeader(file, bytes.length);
        }
        int major = bytes[MAGIC.length];
        int minor = bytes[MAGIC.length + 1];
        if (minor != 0 || major < 1 || major > 3) {
            throw new IOException(file + ": .npy format version " + Byte.toUnsignedInt(bytes[MAGIC.length]) + "."
                    + Byte.toUnsignedInt(bytes[MAGIC.length + 1]) + " is not supported; expected 1.0, 2.0 or 3.0");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        int headerStart = MAGIC.length + 2 + lengthBytes;
        if (bytes.length < headerStart) {
            throw truncatedHeader(file, bytes.length);
        }
        ByteBuffer lengthField = ByteBuffer.wrap(bytes, MAGIC.length + 2, lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? Short.toUnsignedInt(lengthField.getShort())
                : Integer.toUnsignedLong(lengthField.getInt());
        if (headerStart + headerLength > bytes.length) {
            throw new IOException(file + ": truncated header: it is " + headerLength + " bytes long but the file ends "
                    + (bytes.length - headerStart) + " bytes into it");
        }
        int dataStart = headerStart + (int) headerLength;
        String header = new String(bytes, headerStart, (int) headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        Header parsed = Header.parse(file, header);
        long count;
        try {
            count = NamedTensor.elementCount(parsed.shape());
        } catch (ArithmeticException e) {
            count = -1;
        }
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new IOException(file + ": shape " + parsed.shapeText() + " holds more than 2^31 - 1 elements; "
                    + "expected a tensor that fits one Java array");
        }
        long expected = count * parsed.type().byteSize();
        long actual = bytes.length - dataStart;
        if (actual < expected) {
            throw new IOException(file + ": truncated data: shape " + parsed.shapeText() + " of " + parsed.descr()
                    + " needs " + expected + " bytes of data, the file has " + actual);
        }
        if (actual > expected) {
            throw new IOException(file + ": " + actual + " bytes of data, but the header's shape " + parsed.shapeText()
                    + " of " + parsed.descr() + " holds " + expected + "; expected the data of exactly that shape");
        }
        try {
            Object data = parsed.type().fromLittleEndian(ByteBuffer.wrap(bytes, dataStart, (int) actual), (int) count);
            return new NamedTensor(name(file), parsed.type(), parsed.shape(), data);
        } catch (InvalidInputException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a tensor as a version 1.0 {@code .npy} file, atomically, as numpy.save would write it
     * (version 2.0 only for a header too long for 1.0, as numpy.save does too).
     *
     * @throws IOException if the file cannot be written; an existing one is then left as it was
     */
    public static void write(Path file, NamedTensor tensor) throws IOException {
        byte[] header = header(tensor.type(), tensor.shape());
        byte[] data = tensor.type().toLittleEndian(tensor.data());
        AtomicFiles.write(file, out -> {
            out.write(header);
            out.write(data);
        });
    }

    /** NumPy's dtype string for an element type, as numpy.save writes it. */
    public static String descr(ElementType type) {
        return switch (type) {
            case FP32 -> "<f4";
            case FP64 -> "<f8";
            case FP16 -> "<f2";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case INT16 -> "<i2";
            case INT32 -> "<i4";
            case INT64 -> "<i8";
            case BOOL -> "|b1";
        };
    }

    /** The magic string, version, header length and the padded header of a file. */
    static byte[] header(ElementType type, long[] shape) {
        String dict = "{'descr': '" + descr(type) + "', 'fortran_order': False, 'shape': " + tuple(shape) + ", }";
        int version = 1;
        int lengthBytes = 2;
        int unpadded = MAGIC.length + 2 + lengthBytes + dict.length() + 1;
        if (padded(unpadded) - MAGIC.length - 2 - lengthBytes > 0xffff) {
            version = 2;
            lengthBytes = 4;
            unpadded += 2;
        }
        int headerLength = padded(unpadded) - MAGIC.length - 2 - lengthBytes;
        String text = dict + " ".repeat(padded(unpadded) - unpadded) + "\n";
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + lengthBytes + headerLength).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            out.putShort((short) headerLength);
        } else {
            out.putInt(headerLength);
        }
        out.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }

    private static int padded(int length) {
        return (length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** A shape as a Python tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    private static String tuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder text = new StringBuilder("(");
        for (int d = 0; d < shape.length; d++) {
            text.append(d == 0 ? "" : ", ").append(shape[d]);
        }
        return text.append(')').toString();
    }

    private static String name(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(SUFFIX) && name.length() > SUFFIX.length()
                ? name.substring(0, name.length() - SUFFIX.length()) : name;
    }

    private static IOException truncatedHeader(Path file, int length) {
        return new IOException(file + ": truncated header: the file ends after " + length
                + " bytes, inside the magic string, version and header length");
    }

    /** What a header says: the dtype, its element type and the shape (C order). */
    private record Header(String descr, ElementType type, long[] shape) {
        static Header parse(Path file, String text) throws IOException {
            Object value;
            try {
                PythonLiteral literal = new PythonLiteral(text);
                value = literal.value();
                literal.end();
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": malformed .npy header " + quote(text) + ": " + e.getMessage()
                        + "; expected a Python dict literal such as " + EXAMPLE_HEADER);
            }
            if (!(value instanceof Map<?, ?> dict)) {
                throw new IOException(file + ": .npy header " + quote(text) + " is not a dict; expected one such as "
                        + EXAMPLE_HEADER);
            }
            for (String key : List.of("descr", "fortran_order", "shape")) {
                if (!dict.containsKey(key)) {
                    throw new IOException(file + ": .npy header " + quote(text) + " has no '" + key
                            + "'; expected one such as " + EXAMPLE_HEADER);
                }
            }
            if (!(dict.get("descr") instanceof String descr)) {
                throw new IOException(file + ": dtype " + dict.get("descr") + " is a structured dtype, which is not "
                        + "supported; expected one of " + SUPPORTED);
            }
            ElementType type = elementType(file, descr);
            long[] shape = shape(file, dict.get("shape"));
            if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
                throw new IOException(file + ": .npy header's fortran_order is " + dict.get("fortran_order")
                        + "; expected True or False");
            }
            if (fortran && Arrays.stream(shape).filter(d -> d > 1).count() > 1) {
                // With at most one dimension above 1, Fortran and C order lay the data out alike.
                throw new IOException(file + ": the data is in Fortran (column-major) order; expected C (row-major) "
                        + "order: save numpy.ascontiguousarray(a) instead");
            }
            return new Header(descr, type, shape);
        }

        String shapeText() {
            return tuple(shape);
        }

        private static ElementType elementType(Path file, String descr) throws IOException {
            // One-byte types have no byte order: NumPy writes '|', and '<' means the same.
            String normal = descr.length() == 3 && descr.endsWith("1") && descr.charAt(0) == '<' ? "|" + descr.substring(1)
                    : descr;
            for (ElementType type : ElementType.values()) {
                if (Npy.descr(type).equals(normal)) {
                    return type;
                }
            }
            String what = descr.startsWith(">") ? " is big-endian; expected a little-endian dtype, one of "
                    : descr.startsWith("|O") ? " (Python objects) is not supported; expected one of "
                    : " is not supported; expected one of ";
            throw new IOException(file + ": dtype '" + descr + "'" + what + SUPPORTED);
        }

        private static long[] shape(Path file, Object value) throws IOException {
            if (!(value instanceof List<?> dims)) {
                throw new IOException(file + ": .npy header's shape is " + value + "; expected a tuple of sizes");
            }
            long[] shape = new long[dims.size()];
            for (int d = 0; d < shape.length; d++) {
                if (!(dims.get(d) instanceof Long size) || size < 0) {
                    throw new IOException(file + ": .npy header's shape has " + dims.get(d) + " at position " + d
                            + "; expected non-negative integers");
                }
                shape[d] = size;
            }
            return shape;
        }

        private static String quote(String text) {
            return "\"" + (text.length() > 200 ? text.substring(0, 200) + "..." : text) + "\"";
        }
    }

    /**
     * The part of Python's literal syntax that .npy headers use: dicts, tuples and lists, quoted
     * strings, integers (Python 2's {@code 3L} included), True, False and None.
     *
     * @throws IllegalArgumentException saying where the text stops being such a literal
     */
    private static final class PythonLiteral {
        private final String text;
        private int at;

        PythonLiteral(String text) {
            this.text = text;
        }

        Object value() {
            skipSpace();
            if (at >= text.length()) {
                throw endsEarly();
            }
            char c = text.charAt(at);
            if (c == '{') {
                return dict();
            }
            if (c == '(' || c == '[') {
                return sequence(c == '(' ? ')' : ']');
            }
            if (c == '\'' || c == '"') {
                return string(c);
            }
            if (c == '-' || Character.isDigit(c)) {
                return integer();
            }
            for (String word : List.of("True", "False", "None")) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("None") ? "None" : Boolean.valueOf(word.equals("True"));
                }
            }
            throw unexpected();
        }

        void end() {
            skipSpace();
            if (at < text.length()) {
                throw unexpected();
            }
        }

        private Map<String, Object> dict() {
            Map<String, Object> dict = new LinkedHashMap<>();
            at++;
            while (!closes('}')) {
                skipSpace();
                if (at >= text.length() || (text.charAt(at) != '\'' && text.charAt(at) != '"')) {
                    throw at >= text.length() ? endsEarly() : unexpected();
                }
                String key = string(text.charAt(at));
                expect(':');
                dict.put(key, value());
                if (!next('}')) {
                    expect(',');
                }
            }
            return dict;
        }

        private List<Object> sequence(char close) {
            List<Object> items = new ArrayList<>();
            at++;
            while (!closes(close)) {
                items.add(value());
                if (!next(close)) {
                    expect(',');
                }
            }
            return items;
        }

        /** Whether {@code c} is next, after spaces, leaving it there. */
        private boolean next(char c) {
            skipSpace();
            return at < text.length() && text.charAt(at) == c;
        }

        /** Consumes {@code close} when it is next, after spaces. */
        private boolean closes(char close) {
            skipSpace();
            if (at < text.length() && text.charAt(at) == close) {
                at++;
                return true;
            }
            if (at >= text.length()) {
                throw endsEarly();
            }
            return false;
        }

        private String string(char quote) {
            int start = ++at;
            while (at < text.length() && text.charAt(at) != quote) {
                at++;
            }
            if (at >= text.length()) {
                throw new IllegalArgumentException("a string starting at character " + start + " is not closed");
            }
            return text.substring(start, at++);
        }

        private Long integer() {
            int start = at;
            if (text.charAt(at) == '-') {
                at++;
            }
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            String digits = text.substring(start, at);
            if (at < text.length() && (text.charAt(at) == 'L' || text.charAt(at) == 'l')) {
                at++;
            }
            try {
                return Long.valueOf(digits);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + digits + "' at character " + start + " is not an integer of "
                        + "at most 19 digits");
            }
        }

        private void expect(char c) {
            skipSpace();
            if (at >= text.length() || text.charAt(at) != c) {
                throw at >= text.length() ? endsEarly() : unexpected();
            }
            at++;
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private IllegalArgumentException endsEarly() {
            return new IllegalArgumentException("it ends after " + text.length() + " characters, before the literal is "
                    + "complete");
        }

        private IllegalArgumentException unexpected() {
            return new IllegalArgumentException("unexpected '" + text.charAt(at) + "' at character " + at);
        }
    }
}
