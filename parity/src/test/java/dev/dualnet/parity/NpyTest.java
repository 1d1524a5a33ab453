package dev.dualnet.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ElementType;
import dev.dualnet.runtime.NamedTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** What numpy.save writes for numpy.arange(6, dtype='<f4').reshape(2, 3): the header padded to 128 bytes. */
    private static final String NUMPY_HEADER = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    @TempDir
    Path dir;

    static Stream<Arguments> dtypes() {
        return Stream.of(
                Arguments.of("<f4", ElementType.FP32, le(4, Float.floatToIntBits(1.5f), Float.floatToIntBits(-2f)),
                        new float[] {1.5f, -2f}),
                Arguments.of("<f8", ElementType.FP64, le(8, Double.doubleToLongBits(1e-300), Double.doubleToLongBits(-2.5)),
                        new double[] {1e-300, -2.5}),
                Arguments.of("<f2", ElementType.FP16, le(2, 0x3c00, 0xc000), new short[] {0x3c00, (short) 0xc000}),
                Arguments.of("<i1", ElementType.INT8, le(1, -3, 7), new byte[] {-3, 7}),
                Arguments.of("|i1", ElementType.INT8, le(1, -128, 127), new byte[] {-128, 127}),
                Arguments.of("<u1", ElementType.UINT8, le(1, 255, 0), new byte[] {(byte) 255, 0}),
                Arguments.of("|u1", ElementType.UINT8, le(1, 1, 200), new byte[] {1, (byte) 200}),
                Arguments.of("<i2", ElementType.INT16, le(2, -300, 300), new short[] {-300, 300}),
                Arguments.of("<i4", ElementType.INT32, le(4, 1 << 20, -1), new int[] {1 << 20, -1}),
                Arguments.of("<i8", ElementType.INT64, le(8, Long.MAX_VALUE, -2), new long[] {Long.MAX_VALUE, -2}),
                Arguments.of("|b1", ElementType.BOOL, le(1, 1, 0), new boolean[] {true, false}));
    }

    @ParameterizedTest
    @MethodSource("dtypes")
    void everySupportedDtypeIsReadFromHandBuiltBytes(String descr, ElementType type, byte[] data, Object values)
            throws IOException {
        Path file = write("scores.npy", npy(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }",
                data));

        NamedTensor tensor = Npy.read(file);

        assertThat(tensor.name()).isEqualTo("scores");
        assertThat(tensor.type()).isEqualTo(type);
        assertThat(tensor.shape()).containsExactly(2);
        assertThat(tensor.data()).isEqualTo(values);
    }

    @Test
    void versionsTwoAndThreeHaveAFourByteHeaderLengthAndThreeAUtf8Header() throws IOException {
        byte[] data = le(2, 1, 2, 3, 4, 5, 6);
        NamedTensor two = Npy.read(write("two.npy",
                npy(2, "{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (3L, 2L)}", data)));
        assertThat(two.shape()).containsExactly(3, 2);
        assertThat((short[]) two.data()).containsExactly(1, 2, 3, 4, 5, 6);
        // A key NumPy does not write, with a character of two UTF-8 bytes: the header length counts bytes.
        NamedTensor three = Npy.read(write("three.npy",
                npy(3, "{'descr': '<i2', 'fortran_order': False, 'shape': (6,), 'note': 'größe'}", data)));
        assertThat(three.shape()).containsExactly(6);
        assertThat((short[]) three.data()).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void theWriterWritesWhatNumpySaveWrites() throws IOException {
        Path file = dir.resolve("x.npy");
        Npy.write(file, new NamedTensor("x", ElementType.FP32, new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5}));

        byte[] expected = npy(1, NUMPY_HEADER + " ".repeat(128 - 10 - NUMPY_HEADER.length() - 1),
                le(4, 0, Float.floatToIntBits(1), Float.floatToIntBits(2), Float.floatToIntBits(3),
                        Float.floatToIntBits(4), Float.floatToIntBits(5)));
        assertThat(Files.readAllBytes(file)).isEqualTo(expected);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").containsExactly(file);
        }
    }

    @Test
    void everyElementTypeAndShapeSurvivesAWriteAndARead() throws IOException {
        NamedTensor[] tensors = {
            new NamedTensor("f32", ElementType.FP32, new long[] {2, 1, 2}, new float[] {1, Float.NaN, -0f, 3e38f}),
            new NamedTensor("f64", ElementType.FP64, new long[] {}, new double[] {Math.PI}),
            new NamedTensor("f16", ElementType.FP16, new long[] {3}, new short[] {0x3c00, 0x7c00, 1}),
            new NamedTensor("i8", ElementType.INT8, new long[] {0}, new byte[0]),
            new NamedTensor("u8", ElementType.UINT8, new long[] {2, 0, 5}, new byte[0]),
            new NamedTensor("i16", ElementType.INT16, new long[] {1, 1}, new short[] {Short.MIN_VALUE}),
            new NamedTensor("i32", ElementType.INT32, new long[] {2}, new int[] {Integer.MAX_VALUE, 0}),
            new NamedTensor("i64", ElementType.INT64, new long[] {1, 2}, new long[] {Long.MIN_VALUE, 5}),
            new NamedTensor("mask", ElementType.BOOL, new long[] {2, 2}, new boolean[] {true, false, false, true}),
        };
        for (NamedTensor tensor : tensors) {
            Path file = dir.resolve(tensor.name() + ".npy");
            Npy.write(file, tensor);
            byte[] bytes = Files.readAllBytes(file);
            int headerLength = Short.toUnsignedInt(ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
            assertThat((10 + headerLength) % 64).as("%s: header aligned as numpy.save aligns it", tensor.name()).isZero();
            assertThat(bytes[10 + headerLength - 1]).as("%s: header ends in a newline", tensor.name()).isEqualTo((byte) '\n');

            NamedTensor read = Npy.read(file);

            assertThat(read.name()).isEqualTo(tensor.name());
            assertThat(read.type()).as(tensor.name()).isEqualTo(tensor.type());
            assertThat(read.shape()).as(tensor.name()).isEqualTo(tensor.shape());
            assertThat(read.data()).as(tensor.name()).isEqualTo(tensor.data());
        }
        assertThat(new String(Files.readAllBytes(dir.resolve("f64.npy")), StandardCharsets.ISO_8859_1))
                .contains("'shape': (), }");
        assertThat(new String(Files.readAllBytes(dir.resolve("f16.npy")), StandardCharsets.ISO_8859_1))
                .contains("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }");
    }

    @Test
    void aHeaderTooLongForVersionOneIsWrittenAsVersionTwo() throws IOException {
        long[] shape = new long[30_000];
        Arrays.fill(shape, 1);
        Path file = dir.resolve("deep.npy");
        Npy.write(file, new NamedTensor("deep", ElementType.INT8, shape, new byte[] {9}));

        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes[6]).isEqualTo((byte) 2);
        assertThat((12 + ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) % 64).isZero();
        NamedTensor read = Npy.read(file);
        assertThat(read.shape()).isEqualTo(shape);
        assertThat((byte[]) read.data()).containsExactly(9);
    }

    @Test
    void fortranOrderIsRefusedUnlessItLaysTheDataOutAsCOrderDoes() throws IOException {
        Path fortran = write("f.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new byte[24]));
        assertThatThrownBy(() -> Npy.read(fortran)).isInstanceOf(IOException.class)
                .hasMessage(fortran + ": the data is in Fortran (column-major) order; expected C (row-major) order: "
                        + "save numpy.ascontiguousarray(a) instead");
        Path row = write("row.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3), }", new byte[12]));
        assertThat(Npy.read(row).shape()).containsExactly(1, 3);
    }

    static Stream<Arguments> badFiles() {
        String f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        return Stream.of(
                Arguments.of("text", "hello, world\n".getBytes(StandardCharsets.US_ASCII),
                        "not an .npy file: it does not start with NumPy's magic string \\x93NUMPY; expected a file as "
                                + "numpy.save writes it"),
                Arguments.of("empty", new byte[0], "not an .npy file"),
                Arguments.of("version 4.0", version(npy(1, f4, new byte[24]), 4),
                        ".npy format version 4.0 is not supported; expected 1.0, 2.0 or 3.0"),
                Arguments.of("no header length", Arrays.copyOf(npy(1, f4, new byte[24]), 9),
                        "truncated header: the file ends after 9 bytes, inside the magic string, version and header length"),
                Arguments.of("header cut short", Arrays.copyOf(npy(1, f4, new byte[24]), 40),
                        "truncated header: it is " + (f4.length() + 1) + " bytes long but the file ends 30 bytes into it"),
                Arguments.of("big-endian", npy(1, f4.replace("<f4", ">f4"), new byte[24]),
                        "dtype '>f4' is big-endian; expected a little-endian dtype, one of <f4, <f8, <f2, <i1, <u1, <i2,"
                                + " <i4, <i8, |b1, |i1, |u1"),
                Arguments.of("objects", npy(1, f4.replace("<f4", "|O"), new byte[48]),
                        "dtype '|O' (Python objects) is not supported; expected one of <f4, <f8, <f2"),
                Arguments.of("unsigned 32-bit", npy(1, f4.replace("<f4", "<u4"), new byte[24]),
                        "dtype '<u4' is not supported; expected one of <f4"),
                Arguments.of("structured", npy(1, f4.replace("'<f4'", "[('a', '<f4')]"), new byte[24]),
                        "dtype [[a, <f4]] is a structured dtype, which is not supported; expected one of <f4"),
                Arguments.of("truncated data", npy(1, f4, new byte[20]),
                        "truncated data: shape (2, 3) of <f4 needs 24 bytes of data, the file has 20"),
                Arguments.of("data longer than the shape", npy(1, f4, new byte[28]),
                        "28 bytes of data, but the header's shape (2, 3) of <f4 holds 24; expected the data of exactly "
                                + "that shape"),
                Arguments.of("unclosed header", npy(1, f4.substring(0, f4.length() - 3), new byte[24]),
                        "malformed .npy header \"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)\": it ends "
                                + "after 56 characters, before the literal is complete; expected a Python dict literal such as " + f4),
                Arguments.of("header without a shape", npy(1, "{'descr': '<f4', 'fortran_order': False}", new byte[4]),
                        "has no 'shape'; expected one such as " + f4),
                Arguments.of("negative dimension", npy(1, f4.replace("(2, 3)", "(-2, 3)"), new byte[24]),
                        ".npy header's shape has -2 at position 0; expected non-negative integers"),
                Arguments.of("huge shape", npy(1, f4.replace("(2, 3)", "(4294967296, 4294967296)"), new byte[24]),
                        "shape (4294967296, 4294967296) holds more than 2^31 - 1 elements"),
                Arguments.of("bool byte 2", npy(1, f4.replace("<f4", "|b1").replace("(2, 3)", "(2,)"), le(1, 1, 2)),
                        "value 1 is byte 2, expected 0 or 1 for BOOL"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void aBadFileGetsOneMessageNamingTheFileWhatWasWrongAndWhatWasExpected(String what, byte[] bytes, String message)
            throws IOException {
        Path file = write("bad.npy", bytes);
        assertThatThrownBy(() -> Npy.read(file)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(message);
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.npy");
        assertThatThrownBy(() -> Npy.read(missing)).isInstanceOf(IOException.class)
                .hasMessage(missing + ": no such .npy file");
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** An .npy file of the given major version, its header as given plus the newline. */
    private static byte[] npy(int major, String header, byte[] data) {
        byte[] text = (header + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer out = ByteBuffer.allocate(8 + lengthBytes + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            out.putShort((short) text.length);
        } else {
            out.putInt(text.length);
        }
        return out.put(text).put(data).array();
    }

    private static byte[] version(byte[] file, int major) {
        file[6] = (byte) major;
        return file;
    }

    /** Values as little-endian integers of {@code width} bytes each. */
    private static byte[] le(int width, long... values) {
        ByteBuffer out = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 1 -> out.put((byte) v);
                case 2 -> out.putShort((short) v);
                case 4 -> out.putInt((int) v);
                default -> out.putLong(v);
            }
        }
        return out.array();
    }
}
