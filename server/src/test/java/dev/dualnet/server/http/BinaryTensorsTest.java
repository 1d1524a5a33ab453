package dev.dualnet.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dualnet.runtime.ElementType;
import java.lang.reflect.Array;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BinaryTensorsTest {
    private static final Map<ElementType, Object> SAMPLES = new EnumMap<>(Map.of(
            ElementType.FP32, new float[] {0f, -1.5f, Float.MIN_VALUE, 3.25e7f},
            ElementType.FP64, new double[] {1e-300, -2.5, 0},
            ElementType.FP16, new short[] {0x3c00, (short) 0xfbff, 0x0001, 0x7c00},
            ElementType.INT64, new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE},
            ElementType.INT32, new int[] {Integer.MIN_VALUE, 7, Integer.MAX_VALUE},
            ElementType.INT16, new short[] {Short.MIN_VALUE, 300, -2},
            ElementType.INT8, new byte[] {-128, 0, 127},
            ElementType.UINT8, new byte[] {(byte) 255, 1},
            ElementType.BOOL, new boolean[] {true, false, true}));

    @Test
    void everyTypeGoesOutAndComesBackUnchanged() {
        assertThat(SAMPLES).containsOnlyKeys(ElementType.values());
        SAMPLES.forEach((type, data) -> {
            byte[] bytes = type.toLittleEndian(data);
            int count = Array.getLength(data);
            assertThat(bytes).as(type.name()).hasSize(count * type.byteSize());
            byte[] body = new byte[bytes.length + 3];
            System.arraycopy(bytes, 0, body, 3, bytes.length);
            BinaryTensors.Section section = new BinaryTensors.Section(body, 3);
            assertThat(section.next("x", type, count, bytes.length)).as(type.name()).isEqualTo(data);
            section.requireConsumed();
        });
    }

    @Test
    void bytesAreLittleEndian() {
        assertThat(ElementType.INT32.toLittleEndian(new int[] {0x01020304})).containsExactly(4, 3, 2, 1);
        assertThat(ElementType.FP32.toLittleEndian(new float[] {1f})).containsExactly(0, 0, (byte) 0x80, 0x3f);
        assertThat(ElementType.FP16.toLittleEndian(new short[] {0x3c00})).as("1.0").containsExactly(0, 0x3c);
    }

    @Test
    void aBoolByteOtherThanZeroOrOneIsRefused() {
        BinaryTensors.Section section = new BinaryTensors.Section(new byte[] {1, 0, 2}, 0);
        assertThatThrownBy(() -> section.next("inputs[0]", ElementType.BOOL, 3, 3))
                .isInstanceOf(ApiException.class).hasMessage("inputs[0] value 2 is byte 2, expected 0 or 1 for BOOL");
    }
}
